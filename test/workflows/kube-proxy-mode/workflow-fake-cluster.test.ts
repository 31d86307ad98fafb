// The workflow's decisions end to end against an in-memory Cluster with behaviour (fast, no HTTP): the same
// scenarios run against the HTTP sandbox in workflow-sandbox.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { readKubeProxySettings } from '../../../src/k8s/kube-proxy-config.js';
import { PlanInput } from '../../../src/workflows/kube-proxy-mode/api.js';
import { FakeCluster } from '../../fixtures/builders/fake-cluster.js';
import { aCluster, KUBEADM_CONFIG_CONF } from '../../fixtures/builders/cluster-facts.js';
import { kpmHarness } from './harness.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

async function setup(workers: number) {
  const fake = new FakeCluster(aCluster({ workers, controlPlanes: workers <= 3 ? 1 : 0 }));
  const h = await kpmHarness(fake);
  close = h.close;
  return { fake, h };
}

describe('src/workflows/kube-proxy-mode/workflow (in-memory cluster)', () => {
  it('migrates 3 nodes to IPVS, verifies each, restores the update strategy, then rolls back to iptables', async () => {
    const { fake, h } = await setup(2);
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    for (const n of fake.nodes.values()) {
      expect(n.log).toContain('Using ipvs Proxier');
      expect(n.mode).toBe('ipvs');
    }
    expect(readKubeProxySettings(fake.cm.data['config.conf']!)).toMatchObject({ mode: 'ipvs', scheduler: 'rr' });
    expect(fake.ds.updateStrategy.type).toBe('RollingUpdate');
    expect(h.notifier.nodeEvents(run.runId).filter((e) => e.phase === 'verified' && e.ok).map((e) => e.node).sort()).toEqual(['cp-1', 'worker-1', 'worker-2']);

    const rb = await h.workflows.rollback('cluster-a', 'U0REQUESTER');
    expect(rb.state, rb.reason).toBe('awaiting_approval');
    expect(rb.plan.targetMode).toBe('iptables');
    const a = await h.workflows.approve(rb.runId, 'U0APPROVER', rb.plan.digest);
    expect(a.ok).toBe(true);
    const done = await h.waitFor(rb.runId, ['succeeded', 'failed', 'waiting_operator', 'voided']);
    expect(done.state, done.reason).toBe('succeeded');
    expect(fake.cm.data['config.conf']).toBe(KUBEADM_CONFIG_CONF);
    for (const n of fake.nodes.values()) {
      expect(n.log).toContain('Using iptables Proxier');
      expect(n.kubeIpvs0).toBe(false);
    }
  });

  it('migrates 50 nodes in batches of 20% and back', async () => {
    const { fake, h } = await setup(50);
    const run = await h.planAndRun(PlanInput.parse({ batch: '20%' }));
    expect(run.state, run.reason).toBe('succeeded');
    expect(run.plan.rollout.batches.map((b) => b.length)).toEqual([10, 10, 10, 10, 9]);
    expect([...fake.nodes.values()].every((n) => n.mode === 'ipvs' && n.log.includes('Using ipvs Proxier'))).toBe(true);
    const rb = await h.workflows.rollback(run.runId, 'U0REQUESTER');
    expect((await h.workflows.approve(rb.runId, 'U0SECOND', rb.plan.digest)).ok).toBe(true);
    expect((await h.waitFor(rb.runId, ['succeeded', 'failed', 'waiting_operator'])).state).toBe('succeeded');
    expect([...fake.nodes.values()].every((n) => n.mode === 'iptables' && !n.kubeIpvs0)).toBe(true);
    expect(fake.cm.data['config.conf']).toBe(KUBEADM_CONFIG_CONF);
  });

  it('stops before the switch when a node lacks the IPVS modules', async () => {
    const { fake, h } = await setup(3);
    fake.nodes.get('worker-2')!.ipvsModules = false;
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(['rolled_back', 'failed']).toContain(run.state);
    expect(run.reason).toMatch(/worker-2/);
    expect(fake.cm.data['config.conf']).toBe(KUBEADM_CONFIG_CONF);
    expect(fake.calls.filter((c) => c.startsWith('deletePod') || c === 'patchConfigMapData')).toEqual([]);
  });

  it('a kube-proxy crash-looping on node 7 of 20 rolls back nodes 1-7 and leaves 8-20 untouched', async () => {
    const { fake, h } = await setup(20);
    fake.nodes.get('worker-7')!.crashInIpvs = true;
    const before = new Map([...fake.nodes].map(([k, n]) => [k, n.pod.uid]));
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('rolled_back');
    expect(run.reason).toMatch(/worker-7.*CrashLoopBackOff/);
    for (let i = 1; i <= 20; i++) {
      const n = fake.nodes.get(`worker-${i}`)!;
      if (i <= 7) {
        expect(n.pod.uid).not.toBe(before.get(`worker-${i}`));
        expect(n.log).toContain('Using iptables Proxier');
        expect(n.kubeIpvs0).toBe(false);
      } else {
        expect(n.pod.uid, `worker-${i} untouched`).toBe(before.get(`worker-${i}`));
      }
    }
    expect(fake.cm.data['config.conf']).toBe(KUBEADM_CONFIG_CONF);
    expect(fake.ds.updateStrategy.type).toBe('RollingUpdate');
    const failed = h.audit(run.runId).find((e) => e.type === 'step.failed');
    expect(JSON.stringify(failed?.payload)).toMatch(/worker-7/);
  });

  it('voids the run when the ConfigMap is edited between plan and switch', async () => {
    const { fake, h } = await setup(2);
    const planned = await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    fake.editConfigMap((t) => t.replace('clusterCIDR: 10.244.0.0/16', 'clusterCIDR: 10.245.0.0/16'));
    await h.workflows.approve(planned.runId, 'U0APPROVER', planned.plan.digest);
    const run = await h.waitFor(planned.runId, ['voided', 'succeeded', 'failed', 'rolled_back']);
    expect(run.state).toBe('voided');
    expect(run.reason).toMatch(/ConfigMap was edited/);
    expect(fake.calls).not.toContain('patchConfigMapData');
  });

  it('records a blocked plan as rejected with its reasons and does not keep the cluster locked', async () => {
    const { fake, h } = await setup(2);
    fake.nodes.get('worker-2')!.info = { ...fake.nodes.get('worker-2')!.info, ready: false };
    const blocked = await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    expect(blocked.state).toBe('rejected');
    expect(blocked.reason).toMatch(/NotReady: worker-2/);
    expect(await h.workflows.approve(blocked.runId, 'U0APPROVER', blocked.plan.digest)).toMatchObject({ ok: false, code: 'not_awaiting' });
    fake.nodes.get('worker-2')!.info = { ...fake.nodes.get('worker-2')!.info, ready: true };
    expect((await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER')).state).toBe('awaiting_approval');
  });

  it('refuses a second run on a cluster while the first holds the lock', async () => {
    const { h } = await setup(2);
    await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    await expect(h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0OTHER')).rejects.toMatchObject({ code: 'locked' });
  });
});
