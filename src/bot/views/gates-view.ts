// The plan card's "Gates" section (issue #12 item 6): which gates the run passes, from plan.gates.
import type { Plan } from '../../workflows/kube-proxy-mode/api.js';
import { esc, section, truncate, type Block } from './text.js';

export function gatesBlock(p: Pick<Plan, 'gates' | 'kind'>): Block | undefined {
  const g = p.gates;
  if (!g) return undefined;
  const lines: string[] = [];
  if (p.kind === 'rollback') lines.push('_A rollback is not held back by the window or by alerts, and runs no SLO checks._');
  if (g.window) lines.push(`:clock9: Maintenance window: ${esc(g.window)} (outside it the run waits before each batch)`);
  if (g.blockingAlerts?.length) lines.push(`:rotating_light: Pauses between batches while an alert fires matching ${g.blockingAlerts.map((b) => `\`${esc(b)}\``).join(' or ')}`);
  if (g.silences) lines.push(`:zipper_mouth_face: Silences \`${esc(g.silences)}\` for each node while it restarts (expired once it verified)`);
  for (const c of g.prometheus ?? []) lines.push(`:chart_with_upwards_trend: SLO after each batch: *${esc(c.name)}* \`${esc(c.query)}\` ${esc(c.threshold)}`);
  return section(truncate(`*Gates*\n${lines.join('\n')}`, 3000));
}

/** "⏸ Paused: outside the maintenance window, opens Tue 09:00 Europe/Berlin" for the live card and /ipvs status. */
export function waitingLine(paused: string | undefined): string | undefined {
  if (!paused) return undefined;
  return paused.startsWith('paused: ') ? `:double_vertical_bar: Paused: ${esc(paused.slice(8))}` : `:repeat: Retrying: ${esc(paused)}`;
}
