// Reject button: asks for the reason in a modal.
import type { BotContext } from '../../context.js';
import { decodeRef } from '../../views/run-card.js';
import { rejectModal } from '../../views/modals.js';
import { ephemeralSay, type ButtonArgs } from './approve.js';

export function rejectAction(ctx: BotContext) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id as string | undefined;
    const ts = body.message?.ts ?? body.container?.message_ts as string | undefined;
    const ref = decodeRef(action.value);
    const run = ref && (await ctx.workflows.status(ref.runId)).find((r) => r.runId === ref.runId);
    if (!channel || !ts || !ref || !run) {
      if (channel) await ephemeralSay(client)(channel, body.user.id, 'I cannot find that run any more; run `/ipvs status`.');
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: rejectModal({ ...ref, channel, ts, cluster: run.cluster }) as never });
  };
}
