// The fleet view as short lines, shared by the CLI table and the Slack view.
import type { FleetRow } from './fleet-row.js';

export function modeText(r: FleetRow): string {
  if (!r.mode) return 'unknown';
  return r.modeSource === 'proxyMode' ? `${r.mode} (/proxyMode${r.mode === 'mixed' && r.modeDetail ? `: ${r.modeDetail}` : ''})` : `${r.mode} (ConfigMap)`;
}

export function releasesText(r: FleetRow): string {
  if (!r.reachable) return '?';
  return r.releasesLeft === undefined ? '-' : String(r.releasesLeft);
}

export function lastRunText(r: FleetRow): string {
  return r.lastRun ? `${r.lastRun.kind} ${r.lastRun.state} ${r.lastRun.at.slice(0, 16).replace('T', ' ')}` : 'never';
}

const COLS = ['CLUSTER', 'WAVE', 'REACH', 'K8S', 'KUBE-PROXY', 'MODE', 'NODES', 'KERNELS', 'RECOMMENDED', 'RELEASES LEFT', 'LAST RUN'] as const;

/** A fixed-width table, then one line per cluster with the reason and deadline (the long parts). */
export function fleetTable(rows: readonly FleetRow[]): string {
  const cells = rows.map((r) => [
    `${r.cluster}${r.production ? ' (prod)' : ''}`, r.wave === undefined ? '-' : String(r.wave), r.reachable ? 'yes' : 'NO',
    r.kubernetesVersion ?? '?', r.kubeProxyVersion ?? '?', modeText(r), r.nodes === undefined ? '?' : String(r.nodes),
    r.kernels ?? '?', r.recommended ?? '?', releasesText(r), lastRunText(r),
  ]);
  const width = COLS.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (xs: readonly string[]) => xs.map((x, i) => x.padEnd(width[i]!)).join('  ').trimEnd();
  const notes = rows.map((r) => `  ${r.cluster}: ${r.reachable ? `${r.deadline}; recommended ${r.recommended}: ${r.reason}` : `unreachable: ${r.error}`}`);
  return `${[line(COLS), ...cells.map(line), '', ...notes].join('\n')}\n`;
}
