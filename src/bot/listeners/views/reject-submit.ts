// Reject modal: records the reason with the engine; the card update says who rejected and why.
import type { BotContext } from '../../context.js';
import { workflowErrorText } from '../../error-text.js';
import { INPUT } from '../../views/ids.js';
import { parseModalMeta } from '../../views/modals.js';
import { ephemeralSay } from '../actions/approve.js';
import type { ViewArgs } from './approve-submit.js';

export function rejectSubmit(ctx: BotContext) {
  return async ({ ack, body, view, client }: ViewArgs): Promise<void> => {
    const meta = parseModalMeta(view.private_metadata);
    const reason = view.state.values[INPUT.reason.block]?.[INPUT.reason.action]?.value?.trim() ?? '';
    if (!meta || reason.length < 3) {
      await ack({ response_action: 'errors', errors: { [INPUT.reason.block]: meta ? 'Say briefly why (at least 3 characters).' : 'This form is out of date.' } });
      return;
    }
    await ack();
    try {
      const status = await ctx.workflows.reject(meta.runId, body.user.id, reason.slice(0, 500));
      ctx.notifier.notify({ type: 'state', runId: status.runId, status });
    } catch (err) {
      ctx.logger.warn({ runId: meta.runId, err: String(err) }, 'reject failed');
      await ephemeralSay(client)(meta.channel, body.user.id, workflowErrorText(err));
    }
  };
}
