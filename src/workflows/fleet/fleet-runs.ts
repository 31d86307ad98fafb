// Fleet runs are stored without a schema change (contract C): each per-cluster run's input JSON carries
// `fleet: {id, wave, waves}`; the workflow's PlanInput.parse drops the key, so the recipe never sees it.
import type { RunDb } from '../../db/run-store.js';
import { getNodeRows, listRuns } from '../../db/run-store.js';
import type { FleetMeta } from './waves.js';
import type { LastRun, RunningMode } from './fleet-row.js';

type Client = { prepare(sql: string): { all(...a: unknown[]): unknown[] } };
const clientOf = (db: RunDb) => (db as unknown as { $client: Client }).$client;

/** Run ids of one fleet run, oldest first. */
export function fleetRunIds(db: RunDb, fleetId: string): { id: string; fleet: FleetMeta }[] {
  const rows = clientOf(db).prepare(`select id, input_json as input from runs
    where json_extract(input_json, '$.fleet.id') = ? order by created_at, id`).all(fleetId) as { id: string; input: string }[];
  return rows.map((r) => ({ id: r.id, fleet: (JSON.parse(r.input) as { fleet: FleetMeta }).fleet }));
}

export function fleetOfInput(inputJson: string): FleetMeta | undefined {
  try {
    const f = (JSON.parse(inputJson) as { fleet?: FleetMeta }).fleet;
    return f && typeof f.id === 'string' && typeof f.wave === 'number' ? f : undefined;
  } catch { return undefined; }
}

export function lastRun(db: RunDb, cluster: string): LastRun | undefined {
  const r = listRuns(db, { cluster, limit: 1 })[0];
  return r ? { runId: r.id, kind: r.kind, state: r.state, at: r.updatedAt, ...(r.reason ? { reason: r.reason } : {}) } : undefined;
}

/**
 * What kube-proxy's /proxyMode answered per node, from the newest verify or prep Job rows of the cluster's recent
 * runs (any node row whose Job result has a `proxyMode`: verify, and restore while rolling back), if any is younger than `maxAgeMs`.
 */
export function runningMode(db: RunDb, cluster: string, nowMs: number, maxAgeMs: number): RunningMode | undefined {
  const nodes: Record<string, { mode: string; at: string }> = {};
  for (const run of listRuns(db, { cluster, limit: 5 })) {
    for (const row of getNodeRows(db, run.id)) {
      const at = row.finishedAt ?? row.startedAt;
      if (!row.resultJson || nowMs - Date.parse(at) > maxAgeMs) continue;
      let mode: unknown;
      // verify-nodes.ts records the Job's result under `verify` (node-results.ts VerifyResult.proxyMode).
      try {
        const r = JSON.parse(row.resultJson) as { proxyMode?: unknown; verify?: { proxyMode?: unknown } };
        mode = r.verify?.proxyMode ?? r.proxyMode;
      } catch { continue; }
      if (typeof mode !== 'string') continue;
      const prev = nodes[row.node];
      if (!prev || prev.at < at) nodes[row.node] = { mode, at };
    }
  }
  const entries = Object.entries(nodes);
  if (entries.length === 0) return undefined;
  return {
    nodes: Object.fromEntries(entries.map(([n, v]) => [n, v.mode])),
    at: entries.map(([, v]) => v.at).sort().at(-1)!,
  };
}
