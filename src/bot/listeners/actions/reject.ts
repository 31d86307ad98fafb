// Reject button: asks for the reason in a modal, but only of someone who may reject (requester or approver).
import { channelAllowed, requesterOrApprover } from '../../authz.js';
import type { BotContext } from '../../context.js';
import { decodeRef } from '../../views/run-card.js';
import { rejectModal } from '../../views/modals.js';
import { ephemeralSay, type ButtonArgs } from './approve.js';

export const REJECT_REFUSED = ':no_entry: Only the requester or an approver of this cluster can reject a run.';

export function rejectAction(ctx: BotContext) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const say = ephemeralSay(client);
    const channel = body.channel?.id ?? body.container?.channel_id as string | undefined;
    const ts = body.message?.ts ?? body.container?.message_ts as string | undefined;
    const ref = decodeRef(action.value);
    const run = ref && (await ctx.workflows.status(ref.runId)).find((r) => r.runId === ref.runId);
    const cluster = run && ctx.cluster(run.cluster);
    if (!channel || !ts || !ref || !run || !cluster) {
      if (channel) await say(channel, body.user.id, 'I cannot find that run any more; run `/ipvs status`.');
      return;
    }
    if (!channelAllowed(cluster, channel) || !(await requesterOrApprover(ctx.approvers, body.user.id, run.requester, cluster))) {
      ctx.logger.info({ user: body.user.id, runId: run.runId }, 'reject refused: not the requester or an approver');
      await say(channel, body.user.id, REJECT_REFUSED);
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: rejectModal({ ...ref, channel, ts, cluster: run.cluster }) as never });
  };
}
