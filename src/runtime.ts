// Composition root as a function: config → DB + migrations → clusters → engine → Slack app → start.
// main.ts calls it for `npm start`; the demo and end-to-end tests call it in-process with their own config.
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { createSlackNotifier, createApp, type BotApp, type BotDeps } from './bot/app.js';
import { openDb, closeDb, type Db } from './db/client.js';
import { migrateDb } from './db/migrate.js';
import { renderStore } from './db/render-store.js';
import { recordAudit, setAuditHeadKey } from './db/audit-store.js';
import { createHealth, storageWritable } from './health.js';
import { StorageHealth } from './db/storage-health.js';
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
import { FleetCards } from './bot/fleet-cards.js';
import { createFleet } from './workflows/fleet/fleet-service.js';
import { rehearsePlan } from './workflows/rehearsal/rehearse-plan.js';
import type { RehearseFn } from './workflows/rehearsal/attach-rehearsal.js';

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
  setAuditHeadKey(db, config.auditKey);
  health.set('migrations', true);
  const storage = new StorageHealth({ db: db.$client, clock, logger });
  health.addLiveCheck('db', storageWritable(db.$client, storage));

  const metrics = createMetrics();
  const clusters = new Map<string, K8sCluster>();
  for (const c of config.clusters) {
    const kubeconfig = c.kubeconfig ?? config.kubeconfig;
    // Without a kubeconfig, client-node's default chain applies: $KUBECONFIG, ~/.kube/config, then the in-cluster ServiceAccount.
    const k = K8sCluster.fromKubeconfig({ ...(kubeconfig ? { kubeconfig } : {}), ...(c.context ? { context: c.context } : {}) },
      { onRequestError: (verb, kind) => metrics.k8sRequestError(verb, kind), ...(config.k8sRequestTimeoutMs ? { requestTimeoutMs: config.k8sRequestTimeoutMs } : {}) });
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
  notifier.useRenderStore(renderStore(db));
  const fleetCards = new FleetCards();
  const engine = createEngine({
    db, clock, notifier: fleetCards.wrap(withRunMetrics(notifier, metrics, () => clock.now())), logger,
    workflows: kubeProxyModeWorkflows({ clusterFor, config, metrics, ...(opts.timing ? { timing: opts.timing } : {}) }),
    ownerId: opts.ownerId ?? `${hostname()}`, storage,
  });
  engineRef = engine;
  const rehearse: RehearseFn | undefined = opts.rehearse !== false ? (f, p, c) => rehearsePlan(f, p, c, { logger }) : undefined;
  const workflows = createWorkflows({ engine, db, clusterFor, config, clock, logger, ...(rehearse ? { rehearse } : {}) });
  const fleet = createFleet({ engine, db, clusterFor, config, clock, logger, ...(rehearse ? { rehearse } : {}) });
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
    fleet: { service: fleet, cards: fleetCards },
    ...(opts.socketMode ? { socketMode: opts.socketMode } : {}),
  });
  const { port } = await bot.start(opts.port ?? config.port);
  health.set('slack', bot.botUserId() !== undefined, bot.botUserId() ? undefined : 'auth.test failed');
  // A full or read-only DB is said in the channels of the runs it holds up (Slack still works without the DB).
  storage.onChange((_problem, text) => { void tellChannels(bot, engine, config, logger, `:floppy_disk: ipvs-bot: ${text}.`); });
  await engine.start();
  // Cards a killed process never updated (its updates are coalesced in memory): render them from the DB now.
  notifier.resumeCards((runId) => engine.getRun(runId));
  logger.info({ port, clusters: config.clusters.map((c) => c.name) }, 'ipvs-bot started');

  let stopped = false;
  return {
    config, db, engine, workflows, bot, metrics, logger, port, clusters,
    async stop() {
      if (stopped) return;
      stopped = true;
      await bot.stop();
      await engine.stop();
      storage.close();
      await notifier.flush().catch(() => {});
      closeDb(db);
    },
  };
}

/** Posts to the channels of the active runs' cards, or to every configured cluster channel when there is none. */
async function tellChannels(bot: BotApp, engine: Engine, config: Config, logger: Logger, text: string): Promise<void> {
  let channels: string[] = [];
  try {
    channels = [...new Set(engine.listRuns({ active: true }).map((r) => r.message?.channel).filter((c): c is string => !!c))];
  } catch (err) {
    logger.warn({ err: String(err) }, 'could not list the active runs for the storage message');
  }
  if (channels.length === 0) channels = [...new Set(config.clusters.flatMap((c) => c.channels))];
  for (const channel of channels) {
    await bot.client.chat.postMessage({ channel, text }).catch((err: unknown) => logger.warn({ channel, err: String(err) }, 'could not post the storage message'));
  }
}
