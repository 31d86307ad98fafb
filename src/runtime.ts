// Composition root as a function: config → DB + migrations → clusters → engine → Slack app → start.
// main.ts calls it for `npm start`; the demo and end-to-end tests call it in-process with their own config.
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { createSlackNotifier, createApp, type BotApp, type BotDeps } from './bot/app.js';
import { openDb, closeDb, type Db } from './db/client.js';
import { migrateDb } from './db/migrate.js';
import { recordAudit } from './db/audit-store.js';
import { createHealth, sqliteWritable } from './health.js';
import { K8sCluster } from './k8s/k8s-cluster.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createEngine, type Engine } from './workflows/engine/engine.js';
import { systemClock, type Clock } from './workflows/engine/ports.js';
import type { Workflows } from './workflows/kube-proxy-mode/api.js';
import type { Timing } from './workflows/kube-proxy-mode/deps.js';
import { kubeProxyModeWorkflows } from './workflows/kube-proxy-mode/kube-proxy-mode-workflows.js';
import { createWorkflows } from './workflows/kube-proxy-mode/workflows-service.js';
import { auditPort } from './audit/audit-port.js';
import { withRunMetrics } from './metrics-notifier.js';
import { rehearsePlan } from './workflows/rehearsal/rehearse-plan.js';

export interface RuntimeOptions {
  clock?: Clock;
  logger?: Logger;
  /** Shorter waits for the sandbox (demo, tests). */
  timing?: Partial<Timing>;
  ownerId?: string;
  /** HTTP port; 0 = any free port (tests). Defaults to config.port. */
  port?: number;
  /** Rehearse every plan on an in-process sandbox before it can be approved (default true; issue #13). */
  rehearse?: boolean;
  /** Socket Mode timings (tests and the demo shorten the reconnect delay). */
  socketMode?: BotDeps['socketMode'];
}

export interface Runtime {
  config: Config;
  db: Db;
  engine: Engine;
  workflows: Workflows;
  bot: BotApp;
  metrics: Metrics;
  logger: Logger;
  port: number;
  clusters: Map<string, K8sCluster>;
  /** Stop taking work, let the current step record, release leases, close the DB. */
  stop(): Promise<void>;
}

export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const clock = opts.clock ?? systemClock;
  const health = createHealth();
  health.require('config'); health.require('migrations'); health.require('slack');
  health.set('config', true);

  const db = openDb(config.dbPath);
  migrateDb(db);
  health.set('migrations', true);
  health.addLiveCheck('db', sqliteWritable(db.$client));

  const metrics = createMetrics();
  const clusters = new Map<string, K8sCluster>();
  for (const c of config.clusters) {
    const kubeconfig = c.kubeconfig ?? config.kubeconfig;
    // Without a kubeconfig, client-node's default chain applies: $KUBECONFIG, ~/.kube/config, then the in-cluster ServiceAccount.
    const k = K8sCluster.fromKubeconfig({ ...(kubeconfig ? { kubeconfig } : {}), ...(c.context ? { context: c.context } : {}) },
      { onRequestError: (verb, kind) => metrics.k8sRequestError(verb, kind) });
    metrics.trackK8sRequests(() => k.stats());
    clusters.set(c.name, k);
  }
  const clusterFor = (name: string): K8sCluster => {
    const k = clusters.get(name);
    if (!k) throw new Error(`cluster ${name} is not configured`);
    return k;
  };

  let engineRef: Engine | undefined;
  const notifier = createSlackNotifier(config, { clock, logger, metrics, lookup: async (runId) => engineRef?.getRun(runId) });
  const engine = createEngine({
    db, clock, notifier: withRunMetrics(notifier, metrics, () => clock.now()), logger,
    workflows: kubeProxyModeWorkflows({ clusterFor, config, ...(opts.timing ? { timing: opts.timing } : {}) }),
    ownerId: opts.ownerId ?? `${hostname()}`,
  });
  engineRef = engine;
  const workflows = createWorkflows({ engine, db, clusterFor, config, clock, logger,
    ...(opts.rehearse !== false ? { rehearse: (f, p, c) => rehearsePlan(f, p, c, { logger }) } : {}) });
  metrics.onScrape(() => {
    const active = engine.listRuns({ active: true });
    const counts = new Map<string, { cluster: string; state: string; count: number }>();
    for (const r of active) {
      const key = `${r.cluster}/${r.state}`;
      counts.set(key, { cluster: r.cluster, state: r.state, count: (counts.get(key)?.count ?? 0) + 1 });
    }
    metrics.setRunStates([...counts.values()]);
    metrics.setPendingApprovals(active.filter((r) => r.state === 'awaiting_approval').length);
  });

  const bot = createApp({
    config, workflows, logger, clock, notifier,
    audit: { record: (e) => { recordAudit(db, e); }, ...auditPort(db, metrics, config.auditKey ? { key: config.auditKey } : {}) },
    health: async () => (await health.liveness()).ok,
    metrics,
    ...(opts.socketMode ? { socketMode: opts.socketMode } : {}),
  });
  const { port } = await bot.start(opts.port ?? config.port);
  health.set('slack', bot.botUserId() !== undefined, bot.botUserId() ? undefined : 'auth.test failed');
  await engine.start();
  logger.info({ port, clusters: config.clusters.map((c) => c.name) }, 'ipvs-bot started');

  let stopped = false;
  return {
    config, db, engine, workflows, bot, metrics, logger, port, clusters,
    async stop() {
      if (stopped) return;
      stopped = true;
      await bot.stop();
      await engine.stop();
      await notifier.flush().catch(() => {});
      closeDb(db);
    },
  };
}
