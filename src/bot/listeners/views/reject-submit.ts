// Reject modal: the same rule as the button (requester or approver, checked again: the submission is what counts),
// then the reason goes to the engine; the card update says who rejected and why (escaped where it is shown).
import { channelAllowed, requesterOrApprover } from '../../authz.js';
import { recordAudit, type BotContext } from '../../context.js';
import { workflowErrorText } from '../../error-text.js';
import { INPUT } from '../../views/ids.js';
import { parseModalMeta } from '../../views/modals.js';
import { ephemeralSay } from '../actions/approve.js';
import { REJECT_REFUSED } from '../actions/reject.js';
import type { ViewArgs } from './approve-submit.js';

export function rejectSubmit(ctx: BotContext) {
  return async ({ ack, body, view, client }: ViewArgs): Promise<void> => {
    const meta = parseModalMeta(view.private_metadata);
    const reason = view.state.values[INPUT.reason.block]?.[INPUT.reason.action]?.value?.trim() ?? '';
    if (!meta || reason.length < 3) {
      await ack({ response_action: 'errors', errors: { [INPUT.reason.block]: meta ? 'Say briefly why (at least 3 characters).' : 'This form is out of date.' } });
      return;
    }
    const user = body.user.id;
    const run = (await ctx.workflows.status(meta.runId)).find((r) => r.runId === meta.runId);
    const cluster = run && ctx.cluster(run.cluster);
    if (!run || !cluster) {
      await ack({ response_action: 'errors', errors: { [INPUT.reason.block]: 'I cannot find that run any more.' } });
      return;
    }
    if (!channelAllowed(cluster, meta.channel) || !(await requesterOrApprover(ctx.approvers, user, run.requester, cluster))) {
      ctx.logger.info({ user, runId: run.runId }, 'reject refused: not the requester or an approver');
      await recordAudit(ctx, { actor: user, cluster: run.cluster, runId: run.runId, type: 'reject.refused', payload: { code: 'not_approver' } });
      await ack({ response_action: 'errors', errors: { [INPUT.reason.block]: REJECT_REFUSED.replace(/^:no_entry: /, '') } });
      return;
    }
    await ack();
    try {
      const status = await ctx.workflows.reject(meta.runId, user, reason.slice(0, 500));
      ctx.notifier.notify({ type: 'state', runId: status.runId, status });
    } catch (err) {
      ctx.logger.warn({ runId: meta.runId, err: String(err) }, 'reject failed');
      await ephemeralSay(client)(meta.channel, user, workflowErrorText(err));
    }
  };
}
