// Rehearsal (issue #13 item 1): the plan's facts seed an in-process sandbox, and the very same workflows run
// against it — the engine with a throw-away SQLite DB (real migrations), the real K8sCluster over loopback HTTP,
// the steps workflow.ts defines — migrate, then rollback, with every injected wait at zero. The real cluster is
// never contacted: the only Cluster here is built from the sandbox's kubeconfig.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ClusterConfig } from '../../config.js';
import { closeDb, openDb } from '../../db/client.js';
import { migrateDb } from '../../db/migrate.js';
import { K8sCluster } from '../../k8s/k8s-cluster.js';
import { startSandbox } from '../../sandbox/index.js';
import { sandboxOptionsFromFacts, type NodeProbe } from '../../sandbox/seed-from-facts.js';
import { createEngine } from '../engine/engine.js';
import { silentLogger, systemClock, type Logger } from '../engine/ports.js';
import type { Plan, RunEvent, RunStatus } from '../kube-proxy-mode/api.js';
import type { Timing } from '../kube-proxy-mode/deps.js';
import type { ClusterFacts } from '../kube-proxy-mode/facts.js';
import { gatherFacts } from '../kube-proxy-mode/gather-facts.js';
import { kubeProxyModeWorkflows } from '../kube-proxy-mode/kube-proxy-mode-workflows.js';
import { assemblePlan, assembleRollbackPlan, policyOf } from '../kube-proxy-mode/plan.js';
import { sysctlRestoreOf, turnedOnStrictArp } from '../kube-proxy-mode/strict-arp-restore.js';
import { getSnapshot, getStepRows } from '../../db/run-store.js';
import { reduceByShape } from './node-shapes.js';
import type { Rehearsal, RehearsalFailure } from './rehearsal-result.js';

export interface RehearseOptions {
  /** What earlier prep Jobs of the real cluster found, per node (rehearsal-probes.ts). */
  probes?: Record<string, NodeProbe>;
  /** Give up after this long (the sandbox or a step hangs): outcome error. Default 120 s + 50 ms per node. */
  timeoutMs?: number;
  logger?: Logger;
}

// No injected waits: the sandbox's controllers act at once, kube-proxy's first sync takes no time (factor → 0 ms),
// prep runs wide.
const SANDBOX_FAST = { stepMs: 0, crashBackoffMs: 1, jobBackoffMs: 0, kubeProxySync: { factor: 0.001 } } as const;
const TIMING: Partial<Timing> = { syncPollMs: 10, podReadyTimeoutMs: 60_000, jobTimeoutMs: 60_000, jobConcurrency: 200 };
const REQUESTER = 'ipvs-bot-rehearsal';
const TERMINAL = new Set(['succeeded', 'failed', 'rolled_back', 'cancelled', 'voided', 'rejected', 'expired', 'waiting_operator']);

/** Rehearses `input` on a copy of `facts`; never throws (a broken rehearsal is outcome 'error'). */
export async function rehearsePlan(facts: ClusterFacts, real: Plan, cfg: ClusterConfig, o: RehearseOptions = {}): Promise<Rehearsal> {
  const t0 = performance.now();
  const log = o.logger ?? silentLogger;
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-rehearsal-'));
  let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let engine: ReturnType<typeof createEngine> | undefined;
  let db: ReturnType<typeof openDb> | undefined;
  const batches = 1 + real.rollout.batches.length;
  const reduced = reduceByShape(facts.nodes, real.rollout, o.probes);
  const done = (r: Omit<Rehearsal, 'durationMs' | 'batches'>): Rehearsal => ({ ...r, batches, durationMs: Math.round(performance.now() - t0) });
  // A NotReady node's kubelet runs no Job (sandbox controllers/kubelet.ts, as a real one that stopped posting
  // status): the real run would wait out the prep Job's deadline there. Say so now instead of waiting for it.
  const notReady = facts.nodes.filter((n) => !n.ready).map((n) => n.name);
  if (notReady.length > 0) {
    rmSync(dir, { recursive: true, force: true });
    return done({ outcome: 'failed', failure: { phase: 'migrate', step: 'prepare-nodes', nodes: notReady.slice(0, 5), ...(notReady.length > 5 ? { more: notReady.length - 5 } : {}),
      reason: 'the node is NotReady: its kubelet would not run the prep Job, which would time out' } });
  }
  try {
    sandbox = await startSandbox({ ...sandboxOptionsFromFacts({ ...facts, nodes: reduced.nodes }, o.probes ? { probes: o.probes } : {}), ...SANDBOX_FAST, kubeconfigPath: join(dir, 'kubeconfig'), restrictedToken: false });
    const cluster = K8sCluster.fromKubeconfig({ kubeconfig: sandbox.kubeconfigPath });
    db = openDb(':memory:'); // a throw-away store: nothing of a rehearsal needs to survive the process
    migrateDb(db);
    // The cluster's own settings (Job namespace and image); approvals are what the real run needs, not what is rehearsed.
    // The cluster's gates talk to the real Prometheus / Alertmanager and wait for real windows: a rehearsal must
    // neither create silences there nor wait for a window, so its copy of the config has none.
    const { prometheus: _p, window: _w, alertmanager: _a, ...ungated } = cfg;
    const config = { clusters: [{ ...ungated, production: false, approvers: { users: [], usergroups: [] }, requiredApprovals: 0 }] };
    const clusterFor = () => cluster;
    const waiters = new Map<string, (s: RunStatus) => void>();
    const notifier = { notify(e: RunEvent) { if (e.type === 'state' && TERMINAL.has(e.status.state)) waiters.get(e.status.runId)?.(e.status); } };
    engine = createEngine({ db, clock: systemClock, notifier, logger: silentLogger, ownerId: 'rehearsal', workflows: kubeProxyModeWorkflows({ clusterFor, config, timing: TIMING }) });
    await engine.start();
    const eng = engine;
    const timeoutMs = o.timeoutMs ?? 120_000 + 50 * facts.nodes.length;
    const finish = (runId: string) => new Promise<RunStatus>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the rehearsal did not finish within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      waiters.set(runId, (s) => { clearTimeout(timer); resolve(s); });
      const now = eng.getRun(runId);
      if (now && TERMINAL.has(now.state)) { clearTimeout(timer); resolve(now); }
    });

    // Migrate: the plan as the sandbox's facts give it, with the real plan's batches (node-shapes.ts), started
    // without the pre-flight gate: the point is to see where the real cluster would stop even when a check says so.
    const sbFacts = await gatherFacts(cluster, cfg.name);
    const plan: Plan = { ...assemblePlan(sbFacts, real.input, policyOf(config.clusters[0]!), systemClock), rollout: reduced.rollout };
    const run = eng.createRun({ kind: 'migrate', cluster: cfg.name, requester: REQUESTER, input: plan.input as never, plan: plan as never, planDigest: plan.digest, requiredApprovals: 0, expiresAt: plan.expiresAt });
    const migrated = await finish(run.runId);
    if (migrated.state !== 'succeeded') return done({ outcome: 'failed', failure: failureOf('migrate', migrated, reduced.members) });

    // Rollback: planned as workflows-service.ts rollback() plans it (snapshot, restored sysctls), same batches.
    const snap = getSnapshot(db, run.runId);
    if (!snap) return done({ outcome: 'failed', failure: { phase: 'rollback', step: 'take-snapshot', nodes: [], reason: 'the rehearsed migration left no snapshot to roll back to' } });
    const after = await gatherFacts(cluster, cfg.name);
    const rbPlan: Plan = { ...assembleRollbackPlan(after, { parentRunId: run.runId, parentInput: plan.input, snapshotText: snap.configmapText }, policyOf(config.clusters[0]!), systemClock), rollout: reduced.rollout };
    if (rbPlan.currentMode === 'ipvs' && turnedOnStrictArp(plan.input, snap.configmapText)) {
      const prep = Object.fromEntries(getStepRows(db, run.runId, 'prepare-nodes').filter((r) => r.node !== '')
        .map((r) => [r.node, (JSON.parse(r.resultJson ?? '{}') ?? {}) as { sysctlsBefore?: unknown }]));
      const restore = sysctlRestoreOf(prep);
      if (restore) rbPlan.restoreSysctls = restore;
    }
    const rb = eng.createRun({ kind: 'rollback', cluster: cfg.name, requester: REQUESTER, input: rbPlan.input as never, plan: rbPlan as never, planDigest: rbPlan.digest, requiredApprovals: 0, expiresAt: rbPlan.expiresAt, parentRunId: run.runId });
    const rolled = await finish(rb.runId);
    if (rolled.state !== 'succeeded') return done({ outcome: 'failed', failure: failureOf('rollback', rolled, reduced.members) });
    return done({ outcome: 'ok' });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.warn({ cluster: cfg.name, err: msg }, 'rehearsal could not run');
    return done({ outcome: 'error', error: msg.slice(0, 300) });
  } finally {
    await engine?.stop().catch(() => {});
    if (db) closeDb(db);
    await sandbox?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The step and real nodes a run stopped at, with its reason (the failed node results name the representatives). */
function failureOf(phase: RehearsalFailure['phase'], s: RunStatus, members: Map<string, string[]>): RehearsalFailure {
  const failed = s.nodes.filter((n) => n.ok === false);
  const step = s.currentStep ?? s.stepsStarted?.at(-1) ?? s.state;
  const reason = (s.reason ?? failed[0]?.detail ?? s.state).replace(/\s+/g, ' ').slice(0, 400);
  const nodes = [...new Set(failed.flatMap((n) => members.get(n.node) ?? [n.node]))];
  return { phase, step, nodes: nodes.slice(0, 5), ...(nodes.length > 5 ? { more: nodes.length - 5 } : {}), reason };
}
