// `/ipvs …`: parse (pure), ack at once (before any Kubernetes call), then do the work and answer.
import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseIpvsCommand, type IpvsCommand } from '../../command-parser.js';
import { channelAllowed } from '../../authz.js';
import type { BotContext } from '../../context.js';
import { logLevelFor, workflowErrorText } from '../../error-text.js';
import { helpView, usageErrorView } from '../../views/help.js';
import { runCard } from '../../views/run-card.js';
import { decideRun } from '../actions/decide.js';
import { clustersView, statusView } from '../../views/status-view.js';
import { esc, section } from '../../views/text.js';
import type { ClusterConfig } from '../../../config.js';
import type { RunStatus } from '../../../workflows/kube-proxy-mode/api.js';
import { fleetCommand, planFleetCommand } from './fleet.js';

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
      // Without a target: only runs of clusters managed from this channel (a named target was checked before the ack).
      const all = await ctx.workflows.status(cmd.target);
      const runs = all.filter((r) => { const c = ctx.cluster(r.cluster); return !c || channelAllowed(c, channel); });
      const one = runs.length === 1 && runs[0]!.runId === cmd.target ? runs[0] : undefined;
      const timeline = one ? await ctx.audit?.timeline?.(one.runId) : undefined;
      const view = statusView(runs, cmd.target, timeline);
      const hidden = all.length - runs.length;
      if (hidden > 0) view.blocks.push(section(`${hidden} run(s) of clusters not managed from this channel are not shown.`));
      await respond(ephemeral(view));
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
    case 'decide': {
      const refusal = await decideRun(ctx, client.chat, { user, channel, runId: cmd.runId, decision: cmd.decision, ...(cmd.note ? { note: cmd.note } : {}) });
      await respond(ephemeral({ text: refusal ?? `:ballot_box_with_check: Recorded: ${cmd.decision} for run \`${esc(cmd.runId)}\`.` }));
      return;
    }
    case 'clusters': {
      await respond(ephemeral(clustersView(await ctx.workflows.clusters())));
      return;
    }
    case 'audit-export': {
      if (!ctx.audit?.export) { await respond(ephemeral({ text: 'Audit export is not available on this bot.' })); return; }
      const r = await ctx.audit.export({ ...(cmd.cluster ? { cluster: cmd.cluster } : {}), ...(cmd.sinceMs ? { sinceMs: ctx.clock.now() - cmd.sinceMs } : {}), format: cmd.format });
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
    case 'fleet': return fleetCommand(ctx, cmd, a);
    case 'plan-fleet': return planFleetCommand(ctx, cmd, a);
    case 'help': return;
  }
}

const notHere = (c: ClusterConfig): string =>
  `:no_entry: Cluster \`${esc(c.name)}\` can only be managed from ${c.channels.map((ch) => `<#${ch}>`).join(', ')}.`;

/**
 * The cluster a command acts on: named, or through a run id (a DB read, no Kubernetes call). Any command with a
 * `runId` is covered, so new run-id subcommands get the channel check without an edit here.
 */
async function clusterOf(ctx: BotContext, cmd: IpvsCommand): Promise<string | undefined> {
  const named = cmd.kind === 'plan' ? cmd.cluster : cmd.kind === 'audit-export' ? cmd.cluster
    : cmd.kind === 'rollback' || cmd.kind === 'status' ? cmd.target : undefined;
  if (named !== undefined && (ctx.cluster(named) || cmd.kind === 'plan' || cmd.kind === 'audit-export')) return named;
  const runId = named ?? ('runId' in cmd && typeof cmd.runId === 'string' ? cmd.runId : undefined);
  if (runId === undefined) return undefined;
  // An unknown run id is answered after the ack by the command itself ("not found").
  const run = await ctx.workflows.status(runId).then((rs) => rs.find((r) => r.runId === runId), () => undefined);
  return run?.cluster;
}

/**
 * Checks before the ack (config and the DB, no Kubernetes): known cluster, and the channel restriction of the
 * cluster the command resolves to, by name or by run id. Returns the refusal text.
 */
async function precheck(ctx: BotContext, cmd: IpvsCommand, channel: string): Promise<string | undefined> {
  if (cmd.kind === 'audit-export' && cmd.cluster === undefined) {
    // Every cluster's events: only where every cluster may be managed (README "Channels").
    if (ctx.config.clusters.every((c) => channelAllowed(c, channel))) return undefined;
    const here = ctx.config.clusters.filter((c) => channelAllowed(c, channel)).map((c) => `\`${c.name}\``);
    return `:no_entry: Not every cluster's audit trail may be posted in this channel. ${here.length
      ? `Export one managed here instead, e.g. \`/ipvs audit export ${ctx.config.clusters.find((c) => channelAllowed(c, channel))!.name}\` (managed here: ${here.join(', ')}).`
      : 'No cluster is managed from this channel.'}`;
  }
  const name = await clusterOf(ctx, cmd);
  if (name === undefined) return undefined;
  const cluster = ctx.cluster(name);
  if (!cluster) return `:grey_question: I don't know a cluster called \`${esc(name)}\`. Configured: ${ctx.config.clusters.map((c) => `\`${c.name}\``).join(', ') || 'none'}.`;
  return channelAllowed(cluster, channel) ? undefined : notHere(cluster);
}

const ACK_TEXT: Partial<Record<IpvsCommand['kind'], string>> = {
  plan: ':hourglass_flowing_sand: Planning… the card will appear in this channel in a few seconds.',
  rollback: ':hourglass_flowing_sand: Planning the rollback…',
  clusters: ':mag: Checking the clusters…',
  fleet: ':mag: Reading every cluster of the fleet…',
  'plan-fleet': ':hourglass_flowing_sand: Planning every cluster of the fleet run… one card per wave will appear here.',
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
    const refusal = await precheck(ctx, cmd, command.channel_id);
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
    ctx.logger[logLevelFor(err)]({ ref, what, err: (err as Error)?.message ?? String(err), code: (err as { code?: string })?.code }, '/ipvs command failed');
    await respond({ response_type: 'ephemeral', replace_original: false, text: workflowErrorText(err, ref) });
  }
}
