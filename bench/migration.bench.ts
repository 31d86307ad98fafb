// A 1,000-node sandbox migration (iptables → IPVS) with 200 ms injected per node operation (the sandbox's
// kubelet/controller step delay: pod terminate, create, start, Job run). Reports the bot's wall time against the
// critical path those delays impose, and Kubernetes API requests per node (from K8sCluster.stats()).
//
// Critical path = what the plan's order forces even with zero bot overhead:
//   ceil(nodes / jobConcurrency) × T(job)                                   prep chunks
//   + (1 + batches) × (T(restart) + syncWait + T(job) [cleanup] + T(job) [verify])
// where T(job) and T(restart) are measured on the same sandbox, on an idle node, before the run (medians of 5).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { openDb } from '../src/db/client.js';
import { migrateDb } from '../src/db/migrate.js';
import { K8sCluster } from '../src/k8s/k8s-cluster.js';
import { createNodeJobFactory } from '../src/k8s/node-jobs.js';
import { createEngine } from '../src/workflows/engine/engine.js';
import { silentLogger, systemClock } from '../src/workflows/engine/ports.js';
import { PlanInput, type RunStatus } from '../src/workflows/kube-proxy-mode/api.js';
import { kubeProxyModeWorkflows } from '../src/workflows/kube-proxy-mode/kube-proxy-mode-workflows.js';
import { createWorkflows } from '../src/workflows/kube-proxy-mode/workflows-service.js';
import type { ClusterConfig } from '../src/config.js';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const STEP_MS = 200;
const CONCURRENCY = 100;
const SYNC_WAIT_MS = 200;
const BATCH = '10%';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// The sandbox runs in its own process (as a real API server would), so its CPU work does not count as the bot's.
const dir = mkdtempSync(join(tmpdir(), 'ipvs-bench-'));
const kubeconfig = join(dir, 'kubeconfig');
const sandboxScript = join(dir, 'sandbox.mts');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(sandboxScript, `import { startSandbox } from ${JSON.stringify(join(root, 'src/sandbox/index.ts'))};
const sb = await startSandbox({ nodes: ${NODES}, controlPlane: 1, stepMs: ${STEP_MS}, kubeconfigPath: ${JSON.stringify(kubeconfig)} });
process.stdout.write('ready\\n');
process.on('SIGTERM', () => { void sb.stop().then(() => process.exit(0)); });
`);
const sandbox = spawn(process.execPath, ['--import', 'tsx', sandboxScript], { stdio: ['ignore', 'pipe', 'inherit'], cwd: root });
await new Promise<void>((resolve, reject) => {
  sandbox.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
  sandbox.on('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
});
const cluster = K8sCluster.fromKubeconfig({ kubeconfig });
const probeNode = `k8s-worker-${NODES - 1}`;
try {
  // --- calibration: one Job and one kube-proxy restart on an idle node --------------------------------------
  const jobs = createNodeJobFactory({ runId: 'bench-calibration', namespace: 'ipvs-bot-jobs' });
  const tJob: number[] = [];
  const tRestart: number[] = [];
  for (let i = 0; i < 5; i++) {
    const spec = jobs.verify(probeNode, { targetMode: 'iptables', targets: { servicePorts: 0, dnsName: 'kubernetes.default.svc.cluster.local' }, attempt: `c${i}` });
    let t = performance.now();
    await cluster.ensureJob(spec);
    await cluster.waitForJobs('ipvs-bot-jobs', [spec.name], { timeoutMs: 60_000 });
    tJob.push(performance.now() - t);
    const pod = (await cluster.listPods('kube-system', 'k8s-app=kube-proxy')).find((p) => p.nodeName === probeNode && !p.deleting)!;
    t = performance.now();
    await cluster.deletePod('kube-system', pod.name, pod.uid);
    await cluster.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', probeNode, { notUid: pod.uid, timeoutMs: 60_000 });
    tRestart.push(performance.now() - t);
  }
  const job = median(tJob);
  const restart = median(tRestart);
  cluster.resetStats();

  // --- the run ------------------------------------------------------------------------------------------------
  const db = openDb(join(dir, 'bench.db'));
  migrateDb(db);
  const clusterConfig: ClusterConfig = {
    name: 'bench', production: false, approvers: { users: ['U0APPROVER'], usergroups: [] }, requiredApprovals: 1,
    approvalTtlMs: 3_600_000, channels: [], jobNamespace: 'ipvs-bot-jobs',
  };
  const config = { clusters: [clusterConfig] };
  const clusterFor = () => cluster;
  const engine = createEngine({
    db, clock: systemClock, notifier: { notify() {} }, logger: silentLogger, ownerId: 'bench',
    workflows: kubeProxyModeWorkflows({ clusterFor, config, timing: { syncWaitMs: SYNC_WAIT_MS, jobConcurrency: CONCURRENCY, podReadyTimeoutMs: 120_000, jobTimeoutMs: 120_000 } }),
  });
  await engine.start();
  const wf = createWorkflows({ engine, db, clusterFor, config, clock: systemClock });
  const tPlan = performance.now();
  const planned = await wf.plan('bench', PlanInput.parse({ batch: BATCH }), 'U0REQUESTER');
  const planMs = performance.now() - tPlan;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const approved = await wf.approve(planned.runId, 'U0APPROVER', planned.plan.digest);
  if (!approved.ok) throw new Error(approved.message);
  let final: RunStatus | undefined;
  for (;;) {
    final = engine.getRun(planned.runId);
    if (final && ['succeeded', 'failed', 'rolled_back', 'voided', 'waiting_operator'].includes(final.state)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // Where the time went: run-level step rows (started → finished), summed per step kind.
  const rows = db.$client.prepare("select step_id as id, started_at as s, finished_at as f from step_results where run_id = ? and node = ''").all(planned.runId) as { id: string; s: string; f: string | null }[];
  const perKind = new Map<string, number>();
  for (const r of rows) if (r.f) perKind.set(r.id.split(':')[0]!, (perKind.get(r.id.split(':')[0]!) ?? 0) + Date.parse(r.f) - Date.parse(r.s));
  await engine.stop();
  db.$client.close();

  const batches = 1 + planned.plan.rollout.batches.length;
  const critical = Math.ceil(NODES / CONCURRENCY) * job + batches * (restart + SYNC_WAIT_MS + 2 * job);
  const stats = cluster.stats();
  const requests = Object.values(stats.requests).reduce((a, b) => a + b, 0);
  console.log(`nodes ${NODES}, batch ${BATCH} (${batches} batches incl. canary), prep concurrency ${CONCURRENCY}, sandbox step ${STEP_MS} ms, sync wait ${SYNC_WAIT_MS} ms`);
  console.log(`run state: ${final!.state}${final!.reason ? ` (${final!.reason.slice(0, 200)})` : ''}`);
  console.log(`plan (facts + checks + digest, ${NODES} nodes): ${s(planMs)}`);
  console.log(`measured per-node operation: Job ${s(job)}, kube-proxy restart ${s(restart)} (medians of 5)`);
  console.log(`critical path: ${s(critical)}`);
  console.log(`bot wall time: ${s(wall)}  (overhead ${(((wall / critical) - 1) * 100).toFixed(1)} %)`);
  console.log(`bot CPU during the run: ${s((cpu.user + cpu.system) / 1000)} (${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)} % of wall time; the rest is waiting on the API server)`);
  console.log(`time per step kind: ${[...perKind].map(([k, v]) => `${k} ${s(v)}`).join(', ')}`);
  console.log(`API requests: ${requests} (${(requests / NODES).toFixed(2)} per node; ${JSON.stringify(stats.requests)}; retries ${stats.retries}, watch reconnects ${stats.watchReconnects}, re-lists ${stats.relists})`);
} finally {
  sandbox.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
