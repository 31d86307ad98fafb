// `ipvs-bot fleet [--config PATH] [--db PATH] [--csv] [--json]`: read-only. One row per configured cluster, read
// concurrently, most urgent first; the database (if there is one) adds /proxyMode answers and the last run.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ClusterConfig } from '../config.js';
import type { Cluster } from '../k8s/cluster.js';
import type { RunDb } from '../db/run-store.js';
import { fleetCsv } from '../workflows/fleet/fleet-csv.js';
import { createFleet } from '../workflows/fleet/fleet-service.js';
import { fleetTable } from '../workflows/fleet/fleet-table.js';

export const FLEET_USAGE = 'usage: ipvs-bot fleet [--config PATH] [--db PATH] [--csv | --json] [--timeout SECONDS]';

export interface FleetCommandDeps {
  config: { clusters: readonly ClusterConfig[]; waves?: readonly (readonly string[])[] };
  clusterFor(name: string): Cluster;
  db?: RunDb;
  out: NodeJS.WritableStream;
  now?: () => number;
}

/** Exit code 0 when every cluster answered, 1 when some did not, 2 on bad usage. */
export async function fleetCommand(argv: string[], deps: FleetCommandDeps): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, options: { csv: { type: 'boolean' }, json: { type: 'boolean' }, timeout: { type: 'string' } } }).values;
  } catch (e) {
    deps.out.write(`${e instanceof Error ? e.message : String(e)}\n${FLEET_USAGE}\n`);
    return 2;
  }
  const timeout = v.timeout === undefined ? undefined : Number(v.timeout);
  if (timeout !== undefined && !(timeout > 0 && timeout <= 600)) { deps.out.write(`--timeout must be 1-600 seconds\n${FLEET_USAGE}\n`); return 2; }
  const fleet = createFleet({
    config: deps.config, clusterFor: deps.clusterFor, clock: { now: deps.now ?? Date.now },
    ...(deps.db ? { db: deps.db } : {}), ...(timeout ? { readTimeoutMs: timeout * 1000 } : {}),
  });
  const rows = await fleet.rows();
  deps.out.write(v.csv ? fleetCsv(rows) : v.json ? `${JSON.stringify(rows, null, 2)}\n` : fleetTable(rows));
  return rows.every((r) => r.reachable) ? 0 : 1;
}

export const dbExists = (path: string): boolean => path === ':memory:' || existsSync(path);
