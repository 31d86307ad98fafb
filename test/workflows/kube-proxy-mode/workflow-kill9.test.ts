// kill -9 of the bot process in the middle of the rollout: a new process on the same DB file finishes the run,
// with no node restarted twice and the audit chain intact.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../src/audit/verify-chain.js';
import { K8sCluster } from '../../../src/k8s/k8s-cluster.js';
import { startSandbox } from '../../../src/sandbox/index.js';
import { createEngine } from '../../../src/workflows/engine/engine.js';
import { silentLogger, systemClock } from '../../../src/workflows/engine/ports.js';
import { PlanInput } from '../../../src/workflows/kube-proxy-mode/api.js';
import { kubeProxyModeWorkflows } from '../../../src/workflows/kube-proxy-mode/kube-proxy-mode-workflows.js';
import { createWorkflows } from '../../../src/workflows/kube-proxy-mode/workflows-service.js';
import { auditRows, openTestDb, tempDbPath } from '../engine/test-db.js';
import { CLUSTER } from './harness-config.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

function child(env: Record<string, string>): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./support/engine-child.ts', import.meta.url));
  const p = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => { if (p.exitCode === null) p.kill('SIGKILL'); });
  return new Promise((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(p); });
    p.on('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}

async function until<T>(f: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('src/workflows/kube-proxy-mode after kill -9', () => {
  it('a new process finishes a run killed mid-rollout, restarting no node twice', async () => {
    const sb = await startSandbox({ nodes: 6, controlPlane: 0, stepMs: 20 });
    cleanups.push(() => sb.stop());
    const tmp = tempDbPath();
    cleanups.push(() => tmp.cleanup());
    const db = openTestDb(tmp.path);
    cleanups.push(() => { db.$client.close(); });
    const cluster = K8sCluster.fromKubeconfig({ kubeconfig: sb.kubeconfigPath });
    const config = { clusters: [CLUSTER] };
    // This process only plans and approves (its engine is never started); the children drive the run.
    const engine = createEngine({ db, clock: systemClock, notifier: { notify() {} }, logger: silentLogger, ownerId: 'parent', workflows: kubeProxyModeWorkflows({ clusterFor: () => cluster, config }) });
    const wf = createWorkflows({ engine, db, clusterFor: () => cluster, config, clock: systemClock });
    const planned = await wf.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    expect((await wf.approve(planned.runId, 'U0APPROVER', planned.plan.digest)).ok).toBe(true);
    const before = new Map((await cluster.listPods('kube-system', 'k8s-app=kube-proxy')).map((p) => [p.nodeName!, p.uid]));

    const env = { KPM_DB: tmp.path, KPM_KUBECONFIG: sb.kubeconfigPath };
    const first = await child({ ...env, KPM_OWNER: 'first' });
    // Killed as the fourth node's kube-proxy is being restarted: inside a rollout step, mid-rollout.
    await until(() => (auditRows(db, planned.runId).filter((e) => e.type === 'node.restarting').length >= 4 ? true : undefined));
    first.kill('SIGKILL');
    await until(() => (first.exitCode !== null || first.signalCode ? true : undefined));
    const atKill = auditRows(db, planned.runId).length;

    await child({ ...env, KPM_OWNER: 'second' });
    const final = await until(() => {
      const r = engine.getRun(planned.runId);
      return r && ['succeeded', 'failed', 'rolled_back', 'waiting_operator'].includes(r.state) ? r : undefined;
    }, 90_000);
    expect(final.state, final.reason).toBe('succeeded');

    const events = auditRows(db, planned.runId);
    expect(events.length).toBeGreaterThan(atKill);
    const restartedPerNode = new Map<string, number>();
    for (const e of events.filter((x) => x.type === 'node.restarted')) {
      const n = String((e.payload as { node?: string }).node);
      restartedPerNode.set(n, (restartedPerNode.get(n) ?? 0) + 1);
    }
    expect([...restartedPerNode.values()].every((c) => c === 1), JSON.stringify([...restartedPerNode])).toBe(true);
    expect(restartedPerNode.size).toBe(6);
    const after = await cluster.listPods('kube-system', 'k8s-app=kube-proxy');
    for (const p of after) {
      expect(p.uid).not.toBe(before.get(p.nodeName!));
      expect(await cluster.podLogs('kube-system', p.name)).toContain('Using ipvs Proxier');
    }
    expect(verifyChain(db).ok).toBe(true);
  });
});
