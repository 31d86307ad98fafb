// `/ipvs fleet [--csv]` and `/ipvs plan --clusters …|--fleet` (issue #13): the fleet view (a CSV file like the
// audit export) and a fleet run posted as one card per wave.
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { IpvsCommand } from '../../command-parser.js';
import { channelAllowed } from '../../authz.js';
import type { BotContext } from '../../context.js';
import { fleetView } from '../../views/fleet-view.js';
import { esc } from '../../views/text.js';
import { waveCard } from '../../views/wave-card.js';
import { fleetCsv } from '../../../workflows/fleet/fleet-csv.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function fleetCommand(ctx: BotContext, cmd: Extract<IpvsCommand, { kind: 'fleet' }>, a: Args): Promise<void> {
  if (!ctx.fleet) { await a.respond({ response_type: 'ephemeral', text: 'The fleet view is not available on this bot.' }); return; }
  const rows = await ctx.fleet.service.rows();
  if (cmd.csv) {
    const filename = `ipvs-fleet-${new Date(ctx.clock.now()).toISOString().slice(0, 10)}.csv`;
    await a.client.filesUploadV2({
      channel_id: a.command.channel_id, file: Buffer.from(fleetCsv(rows)), filename, title: filename,
      initial_comment: `Fleet view: ${rows.length} cluster(s), ${rows.filter((r) => r.needsMove).length} should move, ${rows.filter((r) => !r.reachable).length} unreachable. Requested by <@${a.command.user_id}>.`,
    });
    return;
  }
  const v = fleetView(rows);
  await a.respond({ response_type: 'ephemeral', text: v.text, blocks: v.blocks as never[] });
}

export async function planFleetCommand(ctx: BotContext, cmd: Extract<IpvsCommand, { kind: 'plan-fleet' }>, a: Args): Promise<void> {
  if (!ctx.fleet) { await a.respond({ response_type: 'ephemeral', text: 'Fleet runs are not available on this bot.' }); return; }
  const channel = a.command.channel_id;
  const allowed = (name: string) => { const c = ctx.cluster(name); return c !== undefined && channelAllowed(c, channel); };
  const { state, skipped } = await ctx.fleet.service.plan(cmd.selector, cmd.input, a.command.user_id, allowed);
  const production = (c: string) => ctx.cluster(c)?.production ?? false;
  for (const w of state.waves) {
    const card = waveCard(state, w.index, production);
    const res = await a.client.chat.postMessage({ channel, text: card.text, blocks: card.blocks as never[] });
    if (res.ts) ctx.fleet.cards.remember(state.fleetId, w.index, channel, res.ts);
  }
  const notes = [
    ...skipped.map((s) => `• ${esc(s.cluster)}: ${esc(s.why)}`),
  ];
  if (notes.length) await a.respond({ response_type: 'ephemeral', text: `Fleet run \`${state.fleetId}\`: left out or to note:\n${notes.join('\n')}` });
}
