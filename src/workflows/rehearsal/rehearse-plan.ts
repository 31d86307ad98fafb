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
import type { Plan, PlanInput, RunEvent, RunStatus } from '../kube-proxy-mode/api.js';
import type { Timing } from '../kube-proxy-mode/deps.js';
import type { ClusterFacts } from '../kube-proxy-mode/facts.js';
import { gatherFacts } from '../kube-proxy-mode/gather-facts.js';
import { kubeProxyModeWorkflows } from '../kube-proxy-mode/kube-proxy-mode-workflows.js';
import { assemblePlan, policyOf } from '../kube-proxy-mode/plan.js';
import { createWorkflows } from '../kube-proxy-mode/workflows-service.js';
import type { Rehearsal, RehearsalFailure } from './rehearsal-result.js';

export interface RehearseOptions {
  /** What earlier prep Jobs of the real cluster found, per node (rehearsal-probes.ts). */
  probes?: Record<string, NodeProbe>;
  /** Give up after this long (the sandbox or a step hangs): outcome error. Default 120 s + 50 ms per node. */
  timeoutMs?: number;
  logger?: Logger;
}

// No injected waits: the sandbox's controllers act at once, kube-proxy's "sync" takes no time, prep runs wide.
const SANDBOX_FAST = { stepMs: 0, crashBackoffMs: 1, jobBackoffMs: 0 } as const;
const TIMING: Partial<Timing> = { syncWaitMs: 0, podReadyTimeoutMs: 60_000, jobTimeoutMs: 60_000, jobConcurrency: 200 };
const REQUESTER = 'ipvs-bot-rehearsal';
const APPROVER = 'ipvs-bot-rehearsal-approver';
const TERMINAL = new Set(['succeeded', 'failed', 'rolled_back', 'cancelled', 'voided', 'rejected', 'expired', 'waiting_operator']);

/** Rehearses `input` on a copy of `facts`; never throws (a broken rehearsal is outcome 'error'). */
export async function rehearsePlan(facts: ClusterFacts, input: PlanInput, cfg: ClusterConfig, o: RehearseOptions = {}): Promise<Rehearsal> {
  const t0 = performance.now();
  const log = o.logger ?? silentLogger;
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-rehearsal-'));
  let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let engine: ReturnType<typeof createEngine> | undefined;
  let db: ReturnType<typeof openDb> | undefined;
  let batches = 0;
  const done = (r: Omit<Rehearsal, 'durationMs' | 'batches'>): Rehearsal => ({ ...r, batches, durationMs: Math.round(performance.now() - t0) });
  try {
    sandbox = await startSandbox({ ...sandboxOptionsFromFacts(facts, o.probes ? { probes: o.probes } : {}), ...SANDBOX_FAST, kubeconfigPath: join(dir, 'kubeconfig'), restrictedToken: false });
    const cluster = K8sCluster.fromKubeconfig({ kubeconfig: sandbox.kubeconfigPath });
    db = openDb(join(dir, 'rehearsal.db'));
    migrateDb(db);
    // The cluster's own policy, with one stand-in approver: approvals are what the real run needs, not what is rehearsed.
    const config = { clusters: [{ ...cfg, production: false, approvers: { users: [APPROVER], usergroups: [] }, requiredApprovals: 1, rollbackRequiredApprovals: 1 }] };
    const clusterFor = () => cluster;
    const waiters = new Map<string, (s: RunStatus) => void>();
    const notifier = { notify(e: RunEvent) { if (e.type === 'state' && TERMINAL.has(e.status.state)) waiters.get(e.status.runId)?.(e.status); } };
    engine = createEngine({ db, clock: systemClock, notifier, logger: silentLogger, ownerId: 'rehearsal', workflows: kubeProxyModeWorkflows({ clusterFor, config, timing: TIMING }) });
    await engine.start();
    const eng = engine;
    const wf = createWorkflows({ engine: eng, db, clusterFor, config, clock: systemClock });
    const timeoutMs = o.timeoutMs ?? 120_000 + 50 * facts.nodes.length;
    const finish = (runId: string) => new Promise<RunStatus>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the rehearsal did not finish within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      waiters.set(runId, (s) => { clearTimeout(timer); resolve(s); });
      const now = eng.getRun(runId);
      if (now && TERMINAL.has(now.state)) { clearTimeout(timer); resolve(now); }
    });

    // Migrate: the plan as the sandbox's facts give it, started without the pre-flight gate, because the point is
    // to see where the real cluster would stop even when a check already says it will.
    const sbFacts = await gatherFacts(cluster, cfg.name);
    const plan: Plan = assemblePlan(sbFacts, input, policyOf(config.clusters[0]!), systemClock);
    batches = 1 + plan.rollout.batches.length;
    const run = eng.createRun({ kind: 'migrate', cluster: cfg.name, requester: REQUESTER, input: plan.input as never, plan: plan as never, planDigest: plan.digest, requiredApprovals: 0, expiresAt: plan.expiresAt });
    const migrated = await finish(run.runId);
    if (migrated.state !== 'succeeded') return done({ outcome: 'failed', failure: failureOf('migrate', migrated) });

    // Rollback: through the Workflows API, as `/ipvs rollback` would plan and approve it.
    const rb = await wf.rollback(run.runId, REQUESTER);
    if (rb.state !== 'awaiting_approval') return done({ outcome: 'failed', failure: failureOf('rollback', rb) });
    const finished = finish(rb.runId);
    const approved = await wf.approve(rb.runId, APPROVER, rb.plan.digest);
    if (!approved.ok) return done({ outcome: 'failed', failure: { phase: 'rollback', step: 'approve', nodes: [], reason: approved.message } });
    const rolled = await finished;
    if (rolled.state !== 'succeeded') return done({ outcome: 'failed', failure: failureOf('rollback', rolled) });
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

/** The step and nodes a run stopped at, with its reason (the failed node results name the nodes). */
function failureOf(phase: RehearsalFailure['phase'], s: RunStatus): RehearsalFailure {
  const failed = s.nodes.filter((n) => n.ok === false);
  const step = s.currentStep ?? s.stepsStarted?.at(-1) ?? s.state;
  const reason = (s.reason ?? failed[0]?.detail ?? s.state).replace(/\s+/g, ' ').slice(0, 400);
  return { phase, step, nodes: failed.slice(0, 5).map((n) => n.node), reason };
}
