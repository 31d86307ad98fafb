// Production approval modal: the typed name must match the run's cluster (from the DB), else the modal shows the
// error in place.
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { BotContext } from '../../context.js';
import { INPUT } from '../../views/ids.js';
import { parseModalMeta } from '../../views/modals.js';
import { approveRun } from '../approval.js';
import { workflowErrorText } from '../../error-text.js';
import { ephemeralSay } from '../actions/approve.js';

export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export function approveSubmit(ctx: BotContext) {
  return async ({ ack, body, view, client }: ViewArgs): Promise<void> => {
    const meta = parseModalMeta(view.private_metadata);
    const typed = view.state.values[INPUT.clusterName.block]?.[INPUT.clusterName.action]?.value?.trim() ?? '';
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [INPUT.clusterName.block]: 'This form is out of date; close it and click Approve again.' } });
      return;
    }
    // The name to type is the run's cluster as the DB has it: private_metadata comes back from the client.
    const run = (await ctx.workflows.status(meta.runId)).find((r) => r.runId === meta.runId);
    if (!run) {
      await ack({ response_action: 'errors', errors: { [INPUT.clusterName.block]: 'I cannot find that run any more.' } });
      return;
    }
    if (typed !== run.cluster) {
      ctx.logger.info({ user: body.user.id, runId: meta.runId }, 'production approval: cluster name mismatch');
      await ack({ response_action: 'errors', errors: { [INPUT.clusterName.block]: `Type the cluster name exactly: ${run.cluster}` } });
      return;
    }
    await ack();
    const say = ephemeralSay(client);
    try {
      await approveRun(ctx, say, { user: body.user.id, channel: meta.channel, runId: meta.runId, digest: meta.digest });
    } catch (err) {
      // A modal submission carries no channel for app.error to answer in; the card's channel is in the metadata.
      const ref = Math.random().toString(36).slice(2, 8);
      ctx.logger.error({ ref, runId: meta.runId, err: (err as Error)?.message ?? String(err) }, 'production approval failed');
      await say(meta.channel, body.user.id, workflowErrorText(err, ref));
    }
  };
}
