// Rehearsing a 1,000-node plan (issue #13: under 10 s). The "real" cluster is a sandbox in its own process (as a
// real API server would be); the plan is gathered from it over HTTP, then rehearsed in this process on a sandbox
// seeded from the plan's facts (rehearsal/rehearse-plan.ts), migrate then rollback. Three rounds, median reported.
// The nodes carry three kernels and two OS images, so the rehearsal has several node shapes per batch.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { K8sCluster } from '../src/k8s/k8s-cluster.js';
import { startSandbox } from '../src/sandbox/index.js';
import { PlanInput } from '../src/workflows/kube-proxy-mode/api.js';
import { gatherFacts } from '../src/workflows/kube-proxy-mode/gather-facts.js';
import { assemblePlan, policyOf } from '../src/workflows/kube-proxy-mode/plan.js';
import { rehearsePlan } from '../src/workflows/rehearsal/rehearse-plan.js';
import { rehearsalLine } from '../src/workflows/rehearsal/rehearsal-result.js';
import type { ClusterConfig } from '../src/config.js';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const BATCH = process.env.BENCH_BATCH ?? '10%';
const ROUNDS = 3;
const KERNELS = ['6.1.0-27-amd64', '5.15.0-122-generic', '6.8.0-45-generic'];
const OS = ['Debian GNU/Linux 12 (bookworm)', 'Ubuntu 22.04.5 LTS'];

if (process.argv[2] === '--sandbox') {
  const sb = await startSandbox({ nodes: NODES, controlPlane: 3, kubernetesVersion: 'v1.31.2', kubeconfigPath: process.argv[3]!,
    kernel: (_n, i) => KERNELS[i % KERNELS.length]!, osImage: Array.from({ length: NODES }, (_, i) => OS[i % OS.length]!) });
  process.on('SIGTERM', () => { void sb.stop().then(() => process.exit(0)); });
  process.send!({ ready: sb.url });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bench-rehearse-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const child = fork(fileURLToPath(import.meta.url), ['--sandbox', kubeconfig], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise<void>((resolve, reject) => { child.once('message', () => resolve()); child.once('exit', (c) => reject(new Error(`sandbox exited ${c}`))); });
    const cfg: ClusterConfig = { name: 'bench', production: false, approvers: { users: ['U0APPROVER'], usergroups: [] }, requiredApprovals: 1, approvalTtlMs: 3_600_000, channels: [], jobNamespace: 'ipvs-bot-jobs' };
    const facts = await gatherFacts(K8sCluster.fromKubeconfig({ kubeconfig }), 'bench');
    const plan = assemblePlan(facts, PlanInput.parse({ targetMode: 'ipvs', batch: BATCH }), policyOf(cfg), { now: Date.now });
    const times: number[] = [];
    let line = '';
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const r = await rehearsePlan(facts, plan, cfg);
      times.push(performance.now() - t0);
      line = rehearsalLine(r);
      if (r.outcome !== 'ok') throw new Error(`rehearsal did not succeed: ${line}`);
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
    console.log(`nodes ${NODES} (${KERNELS.length} kernels × ${OS.length} OS images), batch ${BATCH}, target ipvs: ${line}`);
    console.log(`rehearsal wall time per round: ${times.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')}; median ${(median / 1000).toFixed(2)} s (goal < 10 s)`);
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
