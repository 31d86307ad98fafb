// One card per wave of a fleet run (issue #13 item 3): its clusters with their run state, and Approve wave only
// while the wave is approvable (every earlier wave succeeded). Pure.
import type { FleetRunState, WaveState } from '../../workflows/fleet/waves.js';
import { ACTION } from './ids.js';
import { stateLabel } from './run-card.js';
import { context, esc, header, section, truncate, type Block } from './text.js';

export interface WaveRef { f: string; w: number }
export const encodeWaveRef = (fleetId: string, wave: number): string => JSON.stringify({ f: fleetId, w: wave });
export function decodeWaveRef(v: string | undefined): WaveRef | undefined {
  try {
    const r = JSON.parse(v ?? '') as Partial<WaveRef>;
    return typeof r.f === 'string' && typeof r.w === 'number' ? { f: r.f, w: r.w } : undefined;
  } catch { return undefined; }
}

const STATUS: Record<WaveState['status'], string> = {
  awaiting_approval: ':hourglass: Awaiting approval', running: ':arrows_counterclockwise: Running',
  succeeded: ':white_check_mark: Succeeded', failed: ':x: Failed',
};

export function waveCard(fleet: FleetRunState, index: number, production: (cluster: string) => boolean): { text: string; blocks: Block[] } {
  const w = fleet.waves[index - 1];
  if (!w) return { text: 'This wave no longer exists.', blocks: [section('This wave no longer exists.')] };
  const status = fleet.stoppedAt !== undefined && index > fleet.stoppedAt ? ':no_entry: Not started' : STATUS[w.status];
  const lines = w.runs.map((r) => `• *${esc(r.cluster)}*${production(r.cluster) ? ' (production: type its name to approve)' : ''}: ${r.plan.currentMode} → ${r.plan.targetMode}, ${r.plan.nodes.length} node(s) · ${stateLabel(r)} · ${r.approvals.length}/${r.requiredApprovals} approvals · \`${esc(r.runId)}\`${r.reason && r.state !== 'succeeded' ? `\n   ${esc(truncate(r.reason, 300))}` : ''}`);
  const blocks: Block[] = [
    header(`Fleet ${fleet.fleetId} · wave ${index} of ${fleet.waves.length}`),
    section(truncate(`${status}${w.why ? ` — ${esc(w.why)}` : ''}\n${lines.join('\n') || 'No cluster in this wave could be planned.'}`, 3000)),
    context(`Requested by <@${fleet.requester}> · each cluster keeps its own approvers, quorum and lock · the next wave opens only when every cluster of this one succeeded; a failure stops the fleet run here`),
  ];
  if (w.approvable) {
    blocks.push({ type: 'actions', elements: [{
      type: 'button', action_id: ACTION.waveApprove, style: 'primary', text: { type: 'plain_text', text: `Approve wave ${index}` }, value: encodeWaveRef(fleet.fleetId, index),
      confirm: { title: { type: 'plain_text', text: `Approve wave ${index}?` }, text: { type: 'plain_text', text: truncate(`Starts ${w.runs.map((r) => r.cluster).join(', ')} once each cluster's own approval policy is met.`, 300) }, confirm: { type: 'plain_text', text: 'Approve' }, deny: { type: 'plain_text', text: 'Back' } },
    }] });
  }
  return { text: `Fleet ${fleet.fleetId} wave ${index}/${fleet.waves.length}: ${w.status.replace('_', ' ')}${w.why ? ` (${w.why})` : ''}`, blocks };
}
