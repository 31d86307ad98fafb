// Approve button: production clusters open the typed-name modal; others count the approval (confirm was shown).
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { BotContext } from '../../context.js';
import { decodeRef } from '../../views/run-card.js';
import { approveModal } from '../../views/modals.js';
import { approveRun, type Say } from '../approval.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function ephemeralSay(client: ButtonArgs['client']): Say {
  return async (channel, user, text) => { await client.chat.postEphemeral({ channel, user, text }); };
}

export function approveAction(ctx: BotContext) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const say = ephemeralSay(client);
    const channel = body.channel?.id ?? body.container?.channel_id as string | undefined;
    const ts = body.message?.ts ?? body.container?.message_ts as string | undefined;
    const ref = decodeRef(action.value);
    if (!channel || !ts || !ref) {
      ctx.logger.warn({ user: body.user.id }, 'approve click without a usable run reference');
      if (channel) await say(channel, body.user.id, 'That button is not valid any more; run `/ipvs status`.');
      return;
    }
    const run = (await ctx.workflows.status(ref.runId)).find((r) => r.runId === ref.runId);
    const cluster = run && ctx.cluster(run.cluster);
    // Production asks for the typed cluster name, but only of someone whose approval could count (no typing
    // just to be refused); every check runs again on submit.
    if (run && cluster?.production && run.requester !== body.user.id && run.state === 'awaiting_approval'
      && (await ctx.approvers.check(body.user.id, cluster)).allowed) {
      await client.views.open({ trigger_id: body.trigger_id, view: approveModal({ ...ref, channel, ts, cluster: run.cluster }) as never });
      return;
    }
    await approveRun(ctx, say, { user: body.user.id, channel, runId: ref.runId, digest: ref.digest });
  };
}
