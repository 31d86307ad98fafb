// The fleet view as CSV (RFC 4180, formula-safe cells: the audit export's csvCell).
import { csvCell } from '../../audit/export-audit.js';
import type { FleetRow } from './fleet-row.js';

export const FLEET_CSV_COLUMNS = [
  'cluster', 'production', 'wave', 'reachable', 'error', 'kubernetes_version', 'kube_proxy_version', 'mode', 'mode_source',
  'mode_detail', 'nodes', 'kernels', 'recommended', 'reason', 'releases_left', 'deadline', 'last_run', 'last_run_kind',
  'last_run_state', 'last_run_at',
] as const;

export function fleetCsv(rows: readonly FleetRow[]): string {
  const cell = (v: string | number | boolean | undefined) => csvCell(v === undefined ? '' : typeof v === 'boolean' ? String(v) : v);
  const lines = rows.map((r) => [
    r.cluster, r.production, r.wave, r.reachable, r.error, r.kubernetesVersion, r.kubeProxyVersion, r.mode, r.modeSource,
    r.modeDetail, r.nodes, r.kernels, r.recommended, r.reason, r.releasesLeft, r.deadline, r.lastRun?.runId, r.lastRun?.kind,
    r.lastRun?.state, r.lastRun?.at,
  ].map(cell).join(','));
  return `${[FLEET_CSV_COLUMNS.join(','), ...lines].join('\r\n')}\r\n`;
}
