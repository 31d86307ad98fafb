// Approve wave N (issue #13 item 3): only while the wave is approvable; production clusters in it need their names
// typed (one modal for the wave); then each run goes through the ordinary per-cluster approval path (approvers,
// quorum, self-approval, digest), and each started run gets its own live card.
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { recordAudit, type BotContext } from '../../context.js';
import { CALLBACK } from '../../views/ids.js';
import { runCard } from '../../views/run-card.js';
import { section, esc, truncate } from '../../views/text.js';
import { decodeWaveRef } from '../../views/wave-card.js';
import { approveRun, type Say } from '../approval.js';
import { ephemeralSay } from '../actions/approve.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type Client = ButtonArgs['client'];
interface WaveMeta { f: string; w: number; channel: string; ts: string; prod: string[] }

const block = (c: string) => `wave_name_${c}`;

async function approveWave(ctx: BotContext, client: Client, say: Say, user: string, m: WaveMeta): Promise<void> {
  const fleet = ctx.fleet!;
  const st = fleet.service.state(m.f);
  const wave = st?.waves[m.w - 1];
  if (!st || !wave) { await say(m.channel, user, 'That fleet run no longer exists; see `/ipvs fleet`.'); return; }
  if (!wave.approvable) {
    const why = wave.why ?? wave.status.replace('_', ' ');
    ctx.logger.info({ user, fleet: m.f, wave: m.w, why }, 'wave approval refused');
    await recordAudit(ctx, { actor: user, type: 'fleet.wave_refused', payload: { fleet: m.f, wave: m.w, why, runs: wave.runs.map((r) => r.runId) } });
    await say(m.channel, user, `:no_entry: Wave ${m.w} cannot be approved: ${why}.`);
    return;
  }
  for (const run of wave.runs.filter((r) => r.state === 'awaiting_approval')) {
    await approveRun(ctx, say, { user, channel: m.channel, runId: run.runId, digest: run.plan.digest });
    const now = (await ctx.workflows.status(run.runId)).find((r) => r.runId === run.runId);
    // The cluster's own card, posted once its run left approval: live progress and node results as for any run.
    if (now && now.state !== 'awaiting_approval' && !now.message) {
      const card = runCard(now, { production: ctx.cluster(now.cluster)?.production ?? false });
      const res = await client.chat.postMessage({ channel: m.channel, text: card.text, blocks: card.blocks as never[] });
      if (res.ts) { await ctx.workflows.attachMessage(now.runId, m.channel, res.ts); ctx.notifier.attach(now.runId, m.channel, res.ts); }
    }
  }
  await fleet.cards.refresh(m.f);
}

export function waveApproveAction(ctx: BotContext) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const say = ephemeralSay(client);
    const channel = body.channel?.id ?? body.container?.channel_id as string | undefined;
    const ts = body.message?.ts ?? body.container?.message_ts as string | undefined;
    const ref = decodeWaveRef(action.value);
    if (!ctx.fleet || !channel || !ts || !ref) { if (channel) await say(channel, body.user.id, 'That button is not valid any more; see `/ipvs fleet`.'); return; }
    ctx.fleet.cards.remember(ref.f, ref.w, channel, ts);
    const wave = ctx.fleet.service.state(ref.f)?.waves[ref.w - 1];
    const prod = (wave?.runs ?? []).filter((r) => r.state === 'awaiting_approval' && ctx.cluster(r.cluster)?.production).map((r) => r.cluster);
    const meta: WaveMeta = { f: ref.f, w: ref.w, channel, ts, prod };
    if (wave?.approvable && prod.length > 0) {
      await client.views.open({ trigger_id: body.trigger_id, view: waveModal(meta) as never });
      return;
    }
    await approveWave(ctx, client, say, body.user.id, meta);
  };
}

function waveModal(m: WaveMeta): Record<string, unknown> {
  return {
    type: 'modal', callback_id: CALLBACK.waveApproveModal, private_metadata: JSON.stringify(m),
    title: { type: 'plain_text', text: truncate(`Approve wave ${m.w}`, 24) },
    submit: { type: 'plain_text', text: 'Approve' }, close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(truncate(`Wave ${m.w} has production cluster(s): ${m.prod.map((c) => `*${esc(c)}*`).join(', ')}. Type each name to approve.`, 3000)),
      ...m.prod.slice(0, 20).map((c) => ({ type: 'input', block_id: block(c), label: { type: 'plain_text', text: truncate(`Cluster name (${c})`, 150) },
        element: { type: 'plain_text_input', action_id: 'value' } })),
    ],
  };
}

export function waveApproveSubmit(ctx: BotContext) {
  return async ({ ack, body, view, client }: ViewArgs): Promise<void> => {
    let m: WaveMeta | undefined;
    try { m = JSON.parse(view.private_metadata) as WaveMeta; } catch { m = undefined; }
    if (!m || !Array.isArray(m.prod) || !ctx.fleet) { await ack(); return; }
    const errors: Record<string, string> = {};
    for (const c of m.prod) {
      const typed = view.state.values[block(c)]?.value?.value?.trim() ?? '';
      if (typed !== c) errors[block(c)] = `Type the cluster name exactly: ${c}`;
    }
    if (Object.keys(errors).length) { await ack({ response_action: 'errors', errors }); return; }
    await ack();
    await approveWave(ctx, client, ephemeralSay(client), body.user.id, m);
  };
}
