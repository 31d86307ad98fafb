// `ipvs-bot doctor [--config PATH] [--db PATH] [--cluster NAME] [--json]`: checks the setup before the first run.
// Validates the config (every problem listed, exit 2), opens and migrates the database, then for each cluster:
// reachability, the kube-proxy ConfigMap and DaemonSet, and every permission in required-permissions.ts with a
// SelfSubjectAccessReview, and its gates' Prometheus queries and Alertmanager (doctor-gates.ts); with
// SLACK_APP_TOKEN, whether apps.connections.open accepts it. Prints one row per
// check with the fix for each failure; exit 1 when any check fails.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type ClusterConfig, type Config } from '../config.js';
import { closeDb, openDb } from '../db/client.js';
import { migrateDb } from '../db/migrate.js';
import { K8sCluster } from '../k8s/k8s-cluster.js';
import { checkCluster, formatTable, type CheckRow, type DoctorCluster } from './doctor-checks.js';
import { checkSocketMode } from './doctor-slack.js';
import { checkGates } from './doctor-gates.js';

export interface DoctorDb {
  /** Opens (creating if needed) and migrates the database; returns how many migrations are applied. */
  openAndMigrate(path: string): { applied: number } | void;
}

export interface DoctorDeps {
  env: NodeJS.ProcessEnv;
  out: NodeJS.WritableStream;
  /** Defaults to the real store: openDb + migrateDb. */
  db?: DoctorDb;
  /** Defaults to a K8sCluster from the cluster's kubeconfig/context (or KUBECONFIG / in-cluster). */
  connect?: (cluster: ClusterConfig, config: Config) => DoctorCluster;
}

export const DOCTOR_USAGE = 'usage: ipvs-bot doctor [--config PATH] [--db PATH] [--cluster NAME] [--json]';

/** The real store: creates the file (and its directory) if needed, applies migrations/, closes it again. */
export const sqliteDoctorDb: DoctorDb = {
  openAndMigrate(path) {
    const db = openDb(path);
    try {
      migrateDb(db);
      const row = db.$client.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
      return { applied: row.n };
    } finally {
      closeDb(db);
    }
  },
};

/** Doctor fails fast on a dead cluster: a short timeout and two tries instead of the bot's patient retries. */
export function connectK8s(cluster: ClusterConfig, config: Config): DoctorCluster {
  const kubeconfig = cluster.kubeconfig ?? config.kubeconfig;
  const k = K8sCluster.fromKubeconfig(
    { ...(kubeconfig ? { kubeconfig } : {}), ...(cluster.context ? { context: cluster.context } : {}) },
    { requestTimeoutMs: config.k8sRequestTimeoutMs ?? 10_000, retry: { attempts: 2, baseDelayMs: 200, maxDelayMs: 1_000 } },
  );
  return {
    version: () => k.version(),
    getConfigMap: (ns, name) => k.getConfigMap(ns, name),
    getDaemonSet: (ns, name) => k.getDaemonSet(ns, name),
    allowed: (p) => k.can(p.verb, p.group ? `${p.resource}.${p.group}` : p.resource, p.namespace, p.resourceName, p.subresource),
  };
}

/** Returns the exit code: 0 all checks pass, 1 a check failed, 2 bad usage or invalid configuration. */
export async function doctorCommand(argv: string[], deps: DoctorDeps): Promise<number> {
  let opts: { config?: string; db?: string; cluster?: string; json?: boolean };
  try {
    opts = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { config: { type: 'string' }, db: { type: 'string' }, cluster: { type: 'string' }, json: { type: 'boolean' } },
    }).values;
  } catch (e) {
    deps.out.write(`${(e as Error).message}\n${DOCTOR_USAGE}\n`);
    return 2;
  }

  const rows: CheckRow[] = [];
  let config: Config;
  try {
    config = loadConfig(deps.env, opts.config ? { file: opts.config } : {});
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) rows.push({ scope: 'config', check: p.path, status: 'fail', detail: p.message });
    print(deps.out, rows, opts.json);
    return 2;
  }
  const configFile = opts.config ?? config.configPath;
  rows.push({ scope: 'config', check: configFile, status: 'pass', detail: `${config.clusters.length} cluster(s): ${config.clusters.map((c) => c.name).join(', ')}; ${config.slack.socketMode ? 'Socket Mode' : 'HTTP mode'}` });

  const dbPath = opts.db ?? config.dbPath;
  try {
    const r = (deps.db ?? sqliteDoctorDb).openAndMigrate(dbPath);
    rows.push({ scope: 'db', check: dbPath, status: 'pass', detail: `opened and migrated${r ? ` (${r.applied} migrations applied)` : ''}` });
  } catch (e) {
    rows.push({ scope: 'db', check: dbPath, status: 'fail', detail: (e as Error).message,
      fix: 'IPVS_BOT_DB must be a writable path on a persistent volume; check the directory exists and its owner (uid 10001 in the image)' });
  }

  // Socket Mode (SLACK_APP_TOKEN set): can the app-level token open a connection?
  rows.push(...await checkSocketMode(config));

  const clusters = opts.cluster ? config.clusters.filter((c) => c.name === opts.cluster) : config.clusters;
  if (opts.cluster && clusters.length === 0) {
    rows.push({ scope: 'config', check: `--cluster ${opts.cluster}`, status: 'fail', detail: 'no such cluster in the config', fix: `one of: ${config.clusters.map((c) => c.name).join(', ')}` });
  }
  const connect = deps.connect ?? connectK8s;
  // Clusters are independent: check them concurrently, print in config order.
  const perCluster = await Promise.all(clusters.map(async (c) => [...await checkCluster(c, () => connect(c, config)), ...await checkGates(c)]));
  for (const r of perCluster) rows.push(...r);

  print(deps.out, rows, opts.json);
  return rows.some((r) => r.status === 'fail') ? 1 : 0;
}

function print(out: NodeJS.WritableStream, rows: CheckRow[], json?: boolean): void {
  out.write(json ? `${JSON.stringify({ ok: !rows.some((r) => r.status === 'fail'), checks: rows }, null, 2)}\n` : formatTable(rows));
}
