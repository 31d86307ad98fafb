// `/ipvs …`: parse (pure), ack at once (before any Kubernetes call), then do the work and answer.
import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseIpvsCommand, type IpvsCommand } from '../../command-parser.js';
import { channelAllowed } from '../../authz.js';
import type { BotContext } from '../../context.js';
import { workflowErrorText } from '../../error-text.js';
import { helpView, usageErrorView } from '../../views/help.js';
import { runCard } from '../../views/run-card.js';
import { clustersView, statusView } from '../../views/status-view.js';
import { esc } from '../../views/text.js';
import type { RunStatus } from '../../../workflows/kube-proxy-mode/api.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
type Client = Args['client'];

const ephemeral = (m: { text: string; blocks?: unknown[] }): { response_type: 'ephemeral'; text: string; blocks?: never[] } =>
  ({ response_type: 'ephemeral', text: m.text, ...(m.blocks ? { blocks: m.blocks as never[] } : {}) });

/** Posts the run's card in the channel and remembers where it is (for updates, also after a restart). */
async function postCard(ctx: BotContext, client: Client, channel: string, status: RunStatus): Promise<void> {
  const card = runCard(status, { production: ctx.cluster(status.cluster)?.production ?? false });
  const res = await client.chat.postMessage({ channel, text: card.text, blocks: card.blocks as never[] });
  if (!res.ts) throw new Error('chat.postMessage returned no ts');
  await ctx.workflows.attachMessage(status.runId, channel, res.ts);
  ctx.notifier.attach(status.runId, channel, res.ts);
}

async function work(ctx: BotContext, cmd: IpvsCommand, a: Args): Promise<void> {
  const { command, client, respond } = a;
  const user = command.user_id;
  const channel = command.channel_id;
  switch (cmd.kind) {
    case 'plan': {
      const status = await ctx.workflows.plan(cmd.cluster, cmd.input, user, cmd.rehearse === false ? { rehearse: false } : undefined);
      await postCard(ctx, client, channel, status);
      return;
    }
    case 'rollback': {
      const status = await ctx.workflows.rollback(cmd.target, user);
      await postCard(ctx, client, channel, status);
      return;
    }
    case 'status': {
      const runs = await ctx.workflows.status(cmd.target);
      const one = runs.length === 1 && runs[0]!.runId === cmd.target ? runs[0] : undefined;
      const timeline = one ? await ctx.audit?.timeline?.(one.runId) : undefined;
      await respond(ephemeral(statusView(runs, cmd.target, timeline)));
      return;
    }
    case 'cancel': {
      const run = (await ctx.workflows.status(cmd.runId)).find((r) => r.runId === cmd.runId);
      const cluster = run && ctx.cluster(run.cluster);
      if (run && cluster && run.requester !== user && !(await ctx.approvers.check(user, cluster)).allowed) {
        await respond(ephemeral({ text: ':no_entry: Only the requester or an approver of this cluster can cancel a run.' }));
        return;
      }
      const status = await ctx.workflows.cancel(cmd.runId, user);
      ctx.notifier.notify({ type: 'state', runId: status.runId, status });
      await respond(ephemeral({ text: `:octagonal_sign: Run \`${esc(status.runId)}\` on *${esc(status.cluster)}* is now ${status.state.replace('_', ' ')}.` }));
      return;
    }
    case 'clusters': {
      await respond(ephemeral(clustersView(await ctx.workflows.clusters())));
      return;
    }
    case 'audit-export': {
      if (!ctx.audit?.export) { await respond(ephemeral({ text: 'Audit export is not available on this bot.' })); return; }
      const r = await ctx.audit.export({ ...(cmd.cluster ? { cluster: cmd.cluster } : {}), ...(cmd.sinceMs ? { sinceMs: cmd.sinceMs } : {}), format: cmd.format });
      await client.filesUploadV2({
        channel_id: channel, file: typeof r.content === 'string' ? Buffer.from(r.content) : r.content, filename: r.filename, title: r.filename,
        initial_comment: `Audit export for ${cmd.cluster ? `*${esc(cmd.cluster)}*` : 'all clusters'}${cmd.since ? ` (last ${cmd.since})` : ''}: ${r.count} event(s), ${cmd.format}. Chain head \`${r.chainHead}\`. Requested by <@${user}>.`,
      });
      return;
    }
    case 'audit-verify': {
      if (!ctx.audit?.verify) { await respond(ephemeral({ text: 'Audit verification is not available on this bot.' })); return; }
      const r = await ctx.audit.verify();
      await respond({ response_type: 'in_channel', text: `${r.ok ? ':white_check_mark: Audit chain intact' : ':rotating_light: Audit chain BROKEN'}: ${r.count} event(s) checked. ${esc(r.message)}` });
      return;
    }
    case 'help': return;
  }
}

/** Checks that need only config (no Kubernetes): known cluster, allowed channel. Returns the refusal text. */
function precheck(ctx: BotContext, cmd: IpvsCommand, channel: string): string | undefined {
  const name = cmd.kind === 'plan' ? cmd.cluster : cmd.kind === 'rollback' ? cmd.target : cmd.kind === 'audit-export' ? cmd.cluster : undefined;
  if (name === undefined) return undefined;
  const cluster = ctx.cluster(name);
  if (!cluster) {
    if (cmd.kind === 'rollback') return undefined; // may be a run id: the engine resolves it
    return `:grey_question: I don't know a cluster called \`${esc(name)}\`. Configured: ${ctx.config.clusters.map((c) => `\`${c.name}\``).join(', ') || 'none'}.`;
  }
  if (!channelAllowed(cluster, channel)) {
    return `:no_entry: Cluster \`${esc(cluster.name)}\` can only be managed from ${cluster.channels.map((c) => `<#${c}>`).join(', ')}.`;
  }
  return undefined;
}

const ACK_TEXT: Partial<Record<IpvsCommand['kind'], string>> = {
  plan: ':hourglass_flowing_sand: Planning… the card will appear in this channel in a few seconds.',
  rollback: ':hourglass_flowing_sand: Planning the rollback…',
  clusters: ':mag: Checking the clusters…',
  'audit-export': ':card_file_box: Exporting the audit trail…',
  'audit-verify': ':mag: Verifying the audit chain…',
};

export function ipvsCommand(ctx: BotContext) {
  return async (a: Args): Promise<void> => {
    const { command, ack, respond } = a;
    const parsed = parseIpvsCommand(command.text ?? '');
    if (!parsed.ok) {
      ctx.logger.info({ user: command.user_id, error: parsed.error }, 'bad /ipvs command');
      await ack(ephemeral(usageErrorView(parsed.error, parsed.usage)));
      return;
    }
    const cmd = parsed.command;
    if (cmd.kind === 'help') { await ack(ephemeral(helpView())); return; }
    const refusal = precheck(ctx, cmd, command.channel_id);
    if (refusal) {
      ctx.logger.info({ user: command.user_id, kind: cmd.kind, channel: command.channel_id }, 'refused /ipvs command');
      await ack(ephemeral({ text: refusal }));
      return;
    }
    const ackText = ACK_TEXT[cmd.kind];
    await (ackText ? ack(ephemeral({ text: ackText })) : ack());
    await answerErrors(ctx, respond, cmd.kind, () => work(ctx, cmd, a));
  };
}

/** The one place post-ack failures become an ephemeral answer (and a log line with the detail). */
export async function answerErrors(ctx: BotContext, respond: RespondFn, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const ref = Math.random().toString(36).slice(2, 8);
    ctx.logger.error({ ref, what, err: (err as Error)?.message ?? String(err), code: (err as { code?: string })?.code }, '/ipvs command failed');
    await respond({ response_type: 'ephemeral', replace_original: false, text: workflowErrorText(err, ref) });
  }
}
