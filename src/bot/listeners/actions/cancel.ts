// Cancel button on a running card: the requester or an approver may stop the run.
import { channelAllowed, requesterOrApprover } from '../../authz.js';
import type { BotContext } from '../../context.js';
import { workflowErrorText } from '../../error-text.js';
import { decodeRef } from '../../views/run-card.js';
import { ephemeralSay, type ButtonArgs } from './approve.js';

export function cancelAction(ctx: BotContext) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const say = ephemeralSay(client);
    const channel = body.channel?.id ?? body.container?.channel_id as string | undefined;
    const ref = decodeRef(action.value);
    if (!channel || !ref) return;
    const run = (await ctx.workflows.status(ref.runId)).find((r) => r.runId === ref.runId);
    const cluster = run && ctx.cluster(run.cluster);
    if (!run || !cluster) { await say(channel, body.user.id, 'I cannot find that run any more.'); return; }
    if (!channelAllowed(cluster, channel) || !(await requesterOrApprover(ctx.approvers, body.user.id, run.requester, cluster))) {
      await say(channel, body.user.id, ':no_entry: Only the requester or an approver of this cluster can cancel a run.');
      return;
    }
    try {
      const status = await ctx.workflows.cancel(ref.runId, body.user.id);
      ctx.notifier.notify({ type: 'state', runId: status.runId, status });
    } catch (err) {
      ctx.logger.warn({ runId: ref.runId, err: String(err) }, 'cancel failed');
      await say(channel, body.user.id, workflowErrorText(err));
    }
  };
}
