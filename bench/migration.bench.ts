// A 1,000-node sandbox migration (iptables → IPVS) with 200 ms injected per node operation (the sandbox's
// kubelet/controller step delay: pod terminate, create, start, Job run). Reports the bot's wall time against the
// critical path those delays impose, and Kubernetes API requests per node (from K8sCluster.stats()).
//
// Critical path = what the plan's order forces even with zero bot overhead:
//   Σ over prep chunks of T_job(chunk size)
//   + Σ over batches of (T_restart(batch size) + W(batch) + T_job(batch size) [cleanup] + T_job(batch size) [verify])
// W(batch) = the longest wait for kube-proxy's first sync on a node of the batch, as the node's first Job reported it
// (sync.waitedMs: the sandbox's modelled sync time left when the Job started, kube-proxy-endpoints.ts); it replaced the
// fixed settle wait per batch (DEFAULT_TIMING.syncWaitMs was 10 s), which the settle-share line compares against.
// T_job(k) / T_restart(k) = time for the sandbox to finish k Jobs / k kube-proxy restarts started at once on k
// nodes (medians of 5; 3 for k=1), measured INSIDE the sandbox process (store writes + store events: no HTTP, no client), for
// every k the run uses. Why at the run's concurrency: the sandbox is one single-threaded process whose timers and
// controllers slow down with 100 nodes in flight (a 100-Job chunk takes longer than one Job on an idle node); that
// is the cluster's cost, not the bot's. Why inside the sandbox: no client work of any kind is counted as critical
// path, so every request the bot makes (and the sandbox CPU it costs) stays billed to the bot.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { openDb } from '../src/db/client.js';
import { migrateDb } from '../src/db/migrate.js';
import { K8sCluster } from '../src/k8s/k8s-cluster.js';
import { createNodeJobFactory } from '../src/k8s/node-jobs.js';
import { createEngine } from '../src/workflows/engine/engine.js';
import { silentLogger, systemClock } from '../src/workflows/engine/ports.js';
import { PlanInput, type RunEvent, type RunStatus } from '../src/workflows/kube-proxy-mode/api.js';
import { kubeProxyModeWorkflows } from '../src/workflows/kube-proxy-mode/kube-proxy-mode-workflows.js';
import { createWorkflows } from '../src/workflows/kube-proxy-mode/workflows-service.js';
import type { ClusterConfig } from '../src/config.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { applyCreateDefaults } from '../src/sandbox/api-defaults.js';
import { deleteObject } from '../src/sandbox/api-delete.js';
import type { K8sObject } from '../src/sandbox/object-store.js';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const STEP_MS = 200;
const CONCURRENCY = 100;
/** The fixed settle wait per batch before the bot waited for the real sync (the old DEFAULT_TIMING.syncWaitMs). */
const FIXED_SETTLE_MS = 10_000;
const BATCH = '10%';
/** Multiplies the sandbox kube-proxy's modelled first-sync time (kube-proxy-endpoints.ts syncDurationMs; ≈150 ms here). */
const SYNC_FACTOR = Number(process.env.BENCH_SYNC_FACTOR ?? 1);
const JOB_NS = 'ipvs-bot-jobs';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

type Calibration = { k: number; job: number[]; restart: number[] };
type ToSandbox = { cmd: 'calibrate'; nodes: string[]; reps: number };
type FromSandbox = { ready: string } | { calibrated: Calibration };

if (process.argv[2] === '--sandbox') await sandboxMain(process.argv[3]!);
else await benchMain();

// --- the sandbox process ------------------------------------------------------------------------------------------

async function sandboxMain(kubeconfigPath: string): Promise<void> {
  const sb = await startSandbox({ nodes: NODES, controlPlane: 1, stepMs: STEP_MS, kubeconfigPath, kubeProxySync: { factor: SYNC_FACTOR } });
  // The Jobs' namespace exists, as the deployment manifests create it (deploy/); the old bench's calibration Jobs
  // created it through the bot before the run.
  sb.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: JOB_NS, labels: { 'app.kubernetes.io/managed-by': 'ipvs-bot', 'pod-security.kubernetes.io/enforce': 'privileged' } } });
  process.on('message', (m: ToSandbox) => {
    if (m.cmd === 'calibrate') void calibrate(sb, m.nodes, m.reps).then((c) => process.send!({ calibrated: c } satisfies FromSandbox));
  });
  process.on('SIGTERM', () => { void sb.stop().then(() => process.exit(0)); });
  process.send!({ ready: sb.url } satisfies FromSandbox);
}

/** Resolves with performance.now() once `done()` holds after some store event (checked after each event). */
function untilStore(sb: Sandbox, done: (o: K8sObject, type: string) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const off = sb.store.subscribe((e) => { if (done(e.object, e.type)) { off(); resolve(performance.now()); } });
  });
}

async function calibrate(sb: Sandbox, nodes: string[], reps: number): Promise<Calibration> {
  const factory = createNodeJobFactory({ runId: 'bench-calibration', namespace: JOB_NS });
  const out: Calibration = { k: nodes.length, job: [], restart: [] };
  for (let rep = 0; rep < reps; rep++) {
    // k Jobs created at once (as the API server's create handler stores them), until every one is finished.
    const pending = new Set<string>();
    const finished = untilStore(sb, (o, type) => {
      const c = (o as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
      if (o.kind === 'Job' && type !== 'DELETED' && c.some((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True')) pending.delete(o.metadata.name);
      return pending.size === 0;
    });
    const t0 = performance.now();
    for (const node of nodes) {
      const spec = factory.verify(node, { targetMode: 'iptables', targets: { servicePorts: 0, dnsName: 'kubernetes.default.svc.cluster.local' }, attempt: `c${rep}` });
      // The scripts' ConfigMap the Jobs mount, as ensureJob creates it before the first Job.
      if (spec.configMap && !sb.store.peek('configmaps', JOB_NS, spec.configMap.name)) {
        sb.store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: spec.configMap.name, namespace: JOB_NS }, data: { ...spec.configMap.data } });
      }
      const o = structuredClone(spec.manifest) as K8sObject;
      const uid = randomUUID();
      applyCreateDefaults('jobs', o, uid);
      pending.add(o.metadata.name);
      sb.store.create('jobs', o, { uid });
    }
    out.job.push((await finished) - t0);
    // Gone before the run, so they do not lengthen the bot's Job lists.
    for (const o of sb.store.listShared('jobs', JOB_NS)) deleteObject(sb.store, 'jobs', JOB_NS, o.metadata.name, { propagationPolicy: 'Background' });

    // k kube-proxy pods deleted at once (as the API server's DELETE does), until each node has a new Ready one.
    const old = new Map<string, string>();
    for (const p of sb.store.listShared('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' })) {
      const n = (p as { spec?: { nodeName?: string } }).spec?.nodeName;
      if (n && nodes.includes(n) && !p.metadata.deletionTimestamp) old.set(n, p.metadata.uid!);
    }
    const waiting = new Set(old.keys());
    const restarted = untilStore(sb, (o, type) => {
      const p = o as { spec?: { nodeName?: string }; status?: { conditions?: { type: string; status: string }[] } };
      const n = p.spec?.nodeName;
      if (o.kind === 'Pod' && type !== 'DELETED' && n && waiting.has(n) && o.metadata.uid !== old.get(n) && !o.metadata.deletionTimestamp
        && o.metadata.labels?.['k8s-app'] === 'kube-proxy' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) waiting.delete(n);
      return waiting.size === 0;
    });
    const t1 = performance.now();
    for (const p of sb.store.listShared('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' })) {
      const n = (p as { spec?: { nodeName?: string } }).spec?.nodeName;
      if (n && old.get(n) === p.metadata.uid) deleteObject(sb.store, 'pods', 'kube-system', p.metadata.name, { preconditions: { uid: p.metadata.uid! } });
    }
    out.restart.push((await restarted) - t1);
  }
  return out;
}

// --- the bot process ----------------------------------------------------------------------------------------------

async function benchMain(): Promise<void> {
  // The sandbox runs in its own process (as a real API server would), so its CPU work does not count as the bot's.
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  // `node --cpu-prof …` on the bench profiles the sandbox too (one .cpuprofile per process).
  const profArgs = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const sandbox = fork(fileURLToPath(import.meta.url), ['--sandbox', kubeconfig], { execArgv: [...profArgs, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const fromSandbox = <T>(pick: (m: FromSandbox) => T | undefined) => new Promise<T>((resolve, reject) => {
    const onMsg = (m: FromSandbox) => { const v = pick(m); if (v !== undefined) { sandbox.off('message', onMsg); resolve(v); } };
    sandbox.on('message', onMsg);
    sandbox.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
  });
  await fromSandbox((m) => ('ready' in m ? m.ready : undefined));
  const cluster = K8sCluster.fromKubeconfig({ kubeconfig });
  try {
    const db = openDb(join(dir, 'bench.db'));
    migrateDb(db);
    const clusterConfig: ClusterConfig = {
      name: 'bench', production: false, approvers: { users: ['U0APPROVER'], usergroups: [] }, requiredApprovals: 1,
      approvalTtlMs: 3_600_000, channels: [], jobNamespace: JOB_NS,
    };
    const config = { clusters: [clusterConfig] };
    const clusterFor = () => cluster;
    // The run's end is learnt from the engine's own state events (what the Slack notifier gets), not by polling
    // engine.getRun: each getRun builds a full status (every node row) and would bill the bench's polling to the bot.
    const terminal = new Set(['succeeded', 'failed', 'rolled_back', 'voided', 'waiting_operator']);
    let onState: (st: RunStatus) => void = () => {};
    const notifier = { notify(e: RunEvent) { if (e.type === 'state') onState(e.status); } };
    const engine = createEngine({
      db, clock: systemClock, notifier, logger: silentLogger, ownerId: 'bench',
      workflows: kubeProxyModeWorkflows({ clusterFor, config, timing: { syncPollMs: 50, jobConcurrency: CONCURRENCY, podReadyTimeoutMs: 120_000, jobTimeoutMs: 120_000 } }),
    });
    await engine.start();
    const wf = createWorkflows({ engine, db, clusterFor, config, clock: systemClock });
    const tPlan = performance.now();
    const planned = await wf.plan('bench', PlanInput.parse({ batch: BATCH }), 'U0REQUESTER');
    const planMs = performance.now() - tPlan;

    // --- calibration, at every concurrency the run uses (pods are not in the plan digest: no drift) -------------
    const { rollout } = planned.plan;
    const batchSizes = [1, ...rollout.batches.map((b) => b.length)];
    const chunkSizes: number[] = [];
    for (let i = 0; i < NODES; i += CONCURRENCY) chunkSizes.push(Math.min(CONCURRENCY, NODES - i));
    const names = planned.plan.nodes.map((n) => n.name);
    const cal = new Map<number, { job: number; restart: number }>();
    for (const k of [...new Set([...batchSizes, ...chunkSizes])].sort((a, b) => a - b)) {
      sandbox.send({ cmd: 'calibrate', nodes: names.slice(-k), reps: k > 1 ? 5 : 3 } satisfies ToSandbox);
      const c = await fromSandbox((m) => ('calibrated' in m ? m.calibrated : undefined));
      cal.set(k, { job: median(c.job), restart: median(c.restart) });
    }
    const T = (k: number) => cal.get(k)!;
    const prepCritical = chunkSizes.reduce((a, k) => a + T(k).job, 0);
    const rolloutJobs = batchSizes.reduce((a, k) => a + T(k).restart + 2 * T(k).job, 0);

    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const ended = new Promise<RunStatus>((resolve) => { onState = (st) => { if (st.runId === planned.runId && terminal.has(st.state)) resolve(st); }; });
    const approved = await wf.approve(planned.runId, 'U0APPROVER', planned.plan.digest);
    if (!approved.ok) throw new Error(approved.message);
    const final = await ended;
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // Where the time went: run-level step rows (started → finished), summed per step kind.
    const rows = db.$client.prepare("select step_id as id, started_at as s, finished_at as f from step_results where run_id = ? and node = ''").all(planned.runId) as { id: string; s: string; f: string | null }[];
    const perKind = new Map<string, number>();
    for (const r of rows) if (r.f) perKind.set(r.id.split(':')[0]!, (perKind.get(r.id.split(':')[0]!) ?? 0) + Date.parse(r.f) - Date.parse(r.s));
    // The sync waits: per batch the longest a node's first Job waited (verify:i node rows keep the Job's sync report).
    const waits = new Map<string, number>();
    const nodeRows = db.$client.prepare("select step_id as id, result_json as r from step_results where run_id = ? and node <> '' and step_id like 'verify:%'").all(planned.runId) as { id: string; r: string | null }[];
    let unsynced = 0;
    let polls = 0;
    const syncDur: number[] = [];
    for (const n of nodeRows) {
      const sync = (JSON.parse(n.r ?? '{}') as { sync?: { waitedMs?: number; synced?: boolean; polls?: number; syncDurationMs?: number } }).sync;
      if (!sync) { unsynced++; continue; }
      waits.set(n.id, Math.max(waits.get(n.id) ?? 0, sync.waitedMs ?? 0));
      polls += sync.polls ?? 0;
      if (typeof sync.syncDurationMs === 'number') syncDur.push(sync.syncDurationMs);
    }
    const settleMs = [...waits.values()].reduce((a, b) => a + b, 0);
    const rolloutCritical = rolloutJobs + settleMs;
    const critical = prepCritical + rolloutCritical;
    await engine.stop();
    db.$client.close();

    const stats = cluster.stats();
    const requests = Object.values(stats.requests).reduce((a, b) => a + b, 0);
    console.log(`nodes ${NODES}, batch ${BATCH} (${batchSizes.length} batches incl. canary), prep concurrency ${CONCURRENCY}, sandbox step ${STEP_MS} ms, settle: each node's first Job waits for kube-proxy's first sync`);
    console.log(`run state: ${final.state}${final.reason ? ` (${final.reason.slice(0, 200)})` : ''}`);
    console.log(`plan (facts + checks + digest, ${NODES} nodes): ${s(planMs)}`);
    console.log(`sandbox time for k nodes at once (medians of 5, 3 for k=1; in the sandbox process): ${[...cal].map(([k, v]) => `k=${k}: Job ${s(v.job)}, restart ${s(v.restart)}`).join('; ')}`);
    console.log(`critical path: ${s(critical)} (prep ${s(prepCritical)}, rollout ${s(rolloutCritical)} incl. sync waits ${s(settleMs)}; with idle-node times (k=1) it would be ${s(chunkSizes.length * T(1).job + batchSizes.length * (T(1).restart + 2 * T(1).job) + settleMs)})`);
    console.log(`bot wall time: ${s(wall)}  (overhead ${(((wall / critical) - 1) * 100).toFixed(1)} %)`);
    console.log(`bot CPU during the run: ${s((cpu.user + cpu.system) / 1000)} (${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)} % of wall time; the rest is waiting on the API server)`);
    console.log(`time per step kind: ${[...perKind].map(([k, v]) => `${k} ${s(v)}`).join(', ')}`);
    // Settle share: this run (each node waits for its own kube-proxy's first sync) against the same run with the old
    // fixed settle wait of FIXED_SETTLE_MS per batch in place of those waits.
    const fixedMs = batchSizes.length * FIXED_SETTLE_MS;
    const after = settleMs / wall;
    const before = fixedMs / (wall - settleMs + fixedMs);
    console.log(`kube-proxy's sync duration as each node reported it (sandbox model × ${SYNC_FACTOR}): median ${median(syncDur)} ms, max ${Math.max(...syncDur)} ms; ${polls} /metrics polls for ${nodeRows.length} nodes`);
    console.log(`settle share of wall time: after (waits for the real sync) ${(after * 100).toFixed(1)} % (${s(settleMs)} over ${waits.size} batches${unsynced ? `; ${unsynced} node rows without a sync report` : ''}); before (fixed ${s(FIXED_SETTLE_MS)} per batch) ${(before * 100).toFixed(1)} % (${s(fixedMs)}, wall ${s(wall - settleMs + fixedMs)}); ratio after/before ${(after / before).toFixed(3)}`);
    console.log(`API requests: ${requests} (${(requests / NODES).toFixed(2)} per node; ${JSON.stringify(stats.requests)}; retries ${stats.retries}, watch reconnects ${stats.watchReconnects}, re-lists ${stats.relists})`);
  } finally {
    sandbox.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
