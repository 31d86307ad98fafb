// `/ipvs fleet`: one line per cluster, most urgent first (issue #13 item 2). Pure.
import type { FleetRow } from '../../workflows/fleet/fleet-row.js';
import { lastRunText, modeText, releasesText } from '../../workflows/fleet/fleet-table.js';
import { capBlocks, context, esc, header, section, truncate, type Block } from './text.js';

function urgencyIcon(r: FleetRow): string {
  if (!r.reachable) return ':grey_question:';
  if (r.releasesLeft !== undefined && r.releasesLeft <= 2) return ':red_circle:';
  if (r.releasesLeft !== undefined || r.needsMove) return ':large_orange_circle:';
  return ':large_green_circle:';
}

export function fleetRowText(r: FleetRow): string {
  const name = `*${esc(r.cluster)}*${r.production ? ' (production)' : ''}${r.wave !== undefined ? ` · wave ${r.wave}` : ''}`;
  if (!r.reachable) return `${urgencyIcon(r)} ${name}: unreachable (${esc(r.error ?? 'no answer')}) · last run: ${esc(lastRunText(r))}`;
  return [
    `${urgencyIcon(r)} ${name}: Kubernetes ${esc(r.kubernetesVersion ?? '?')}, kube-proxy ${esc(r.kubeProxyVersion ?? '?')}, mode \`${esc(modeText(r))}\`, ${r.nodes} node(s), kernels ${esc(r.kernels ?? '?')}`,
    `   Recommended: *${r.recommended}*${r.needsMove ? '' : ' (already)'} — ${esc(r.reason ?? '')}`,
    `   Releases left: *${releasesText(r)}* — ${esc(r.deadline ?? '')} · last run: ${esc(lastRunText(r))}`,
  ].join('\n');
}

export function fleetView(rows: readonly FleetRow[]): { text: string; blocks: Block[] } {
  if (rows.length === 0) return { text: 'No clusters configured.', blocks: [section('No clusters configured.')] };
  const moving = rows.filter((r) => r.needsMove).length;
  const down = rows.filter((r) => !r.reachable).length;
  const summary = `${rows.length} cluster(s): ${moving} should move, ${down} unreachable`;
  return {
    text: `Fleet: ${summary}`,
    blocks: capBlocks([
      header('Fleet'),
      ...rows.map((r) => section(truncate(fleetRowText(r), 3000))),
      context(`${summary} · most urgent first · upstream: IPVS off by default in 1.40, removed in 1.43; nftables default from 1.40 (KEP-5495, KEP-5343) · \`/ipvs fleet --csv\` for a file`),
    ]),
  };
}
