// The migration and rollback workflows end to end against the HTTP sandbox (real client-node through K8sCluster,
// real SQLite with the real migrations, the real engine): DESIGN.md "Done when" of issue #3.
import { afterEach, describe, expect, it } from 'vitest';
import { K8sCluster } from '../../../src/k8s/k8s-cluster.js';
import { readKubeProxySettings } from '../../../src/k8s/kube-proxy-config.js';
import { type Sandbox, type SandboxOptions } from '../../../src/sandbox/index.js';
import { editKubeProxyConfig } from '../../../src/sandbox/cluster-faults.js';
import { PlanInput, type RunEvent } from '../../../src/workflows/kube-proxy-mode/api.js';
import { sandboxHarness, type HarnessOptions } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

const setup = (opts: SandboxOptions, h: HarnessOptions = {}) => sandboxHarness(cleanups, opts, h);

async function kubeProxyLogs(cluster: K8sCluster): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await cluster.listPods('kube-system', 'k8s-app=kube-proxy')) {
    if (p.nodeName && !p.deleting) out.set(p.nodeName, await cluster.podLogs('kube-system', p.name));
  }
  return out;
}

async function podUids(cluster: K8sCluster): Promise<Map<string, string>> {
  return new Map((await cluster.listPods('kube-system', 'k8s-app=kube-proxy')).filter((p) => !p.deleting).map((p) => [p.nodeName!, p.uid]));
}

const configText = async (cluster: K8sCluster) => (await cluster.getConfigMap('kube-system', 'kube-proxy')).data['config.conf']!;
const withoutIntended = (t: string) => t.replace(/^mode:.*$/m, '').replace(/^  scheduler:.*$/m, '').replace(/^  strictARP:.*$/m, '');

describe('src/workflows/kube-proxy-mode against the sandbox', () => {
  it('migrates a 3-node cluster iptables → IPVS and rolls it back', async () => {
    const { sb, cluster, h } = await setup({ nodes: 3 });
    const original = await configText(cluster);
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    const logs = await kubeProxyLogs(cluster);
    expect(logs.size).toBe(3);
    for (const [node, log] of logs) expect(log, node).toContain('Using ipvs Proxier');
    const migrated = await configText(cluster);
    expect(readKubeProxySettings(migrated)).toMatchObject({ mode: 'ipvs', scheduler: 'rr' });
    expect(withoutIntended(migrated)).toBe(withoutIntended(original));
    expect((await cluster.getDaemonSet('kube-system', 'kube-proxy')).updateStrategy.type).toBe('RollingUpdate');
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).proxyMode).toBe('ipvs');

    const rb = await h.workflows.rollback('cluster-a', 'U0REQUESTER');
    expect(rb.plan.targetMode).toBe('iptables');
    expect((await h.workflows.approve(rb.runId, 'U0APPROVER', rb.plan.digest)).ok).toBe(true);
    const done = await h.waitFor(rb.runId, ['succeeded', 'failed', 'waiting_operator', 'voided']);
    expect(done.state, done.reason).toBe('succeeded');
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).toMatch(/Using iptables Proxier/);
    expect(await configText(cluster)).toBe(original);
    for (const n of sb.cluster.nodes) {
      const host = sb.cluster.host(n.name);
      expect(host.proxyMode, n.name).toBe('iptables');
      expect(host.kubeIpvs0, n.name).toBeNull();
      expect(host.kubernetesIpvs(), n.name).toEqual([]);
    }
  });

  it('migrates a 50-node cluster in batches of 20% and back', async () => {
    const { sb, cluster, h } = await setup({ nodes: 50 });
    const original = await configText(cluster);
    const before = cluster.stats();
    // Prep Jobs in flight at once (created, not finished): a finished Job's slot is refilled, never exceeded.
    const running = new Set<string>();
    let most = 0;
    const off = sb.store.subscribe((e) => {
      const o = e.object as { kind: string; metadata: { name: string; labels?: Record<string, string> }; status?: { conditions?: { type: string; status: string }[] } };
      if (o.kind !== 'Job' || o.metadata.labels?.['ipvs-bot/phase'] !== 'prep') return;
      const ended = e.type === 'DELETED' || (o.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (ended) running.delete(o.metadata.name); else running.add(o.metadata.name);
      most = Math.max(most, running.size);
    });
    const run = await h.planAndRun(PlanInput.parse({ batch: '20%' }));
    off();
    expect(run.state, run.reason).toBe('succeeded');
    expect(most).toBeLessThanOrEqual(10); // FAST.jobConcurrency
    expect(most).toBeGreaterThanOrEqual(5);
    // Waits are per batch, not per node: prep chunks of 10 (one Job watch each), then per batch one pod watch for the
    // restarts and one Job watch each for cleanup and verify; no per-node list of kube-proxy pods.
    const after = cluster.stats();
    const batches = 1 + run.plan!.rollout.batches.length;
    const waits = Math.ceil(50 / 10) + 3 * batches;
    expect(after.requests.watch - before.requests.watch).toBeLessThanOrEqual(waits + (after.watchReconnects - before.watchReconnects));
    // Each wait lists once; Job waits also read results in shared pod lists: fewer lists than the run's 150 Jobs.
    expect(after.requests.list - before.requests.list).toBeLessThan(3 * 50);
    const logs = await kubeProxyLogs(cluster);
    expect(logs.size).toBe(50);
    for (const [node, log] of logs) expect(log, node).toContain('Using ipvs Proxier');
    expect(withoutIntended(await configText(cluster))).toBe(withoutIntended(original));
    const rb = await h.workflows.rollback('cluster-a', 'U0REQUESTER');
    expect((await h.workflows.approve(rb.runId, 'U0APPROVER', rb.plan.digest)).ok).toBe(true);
    const done = await h.waitFor(rb.runId, ['succeeded', 'failed', 'waiting_operator', 'voided'], 60_000);
    expect(done.state, done.reason).toBe('succeeded');
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).toMatch(/Using iptables Proxier/);
    expect(await configText(cluster)).toBe(original);
    expect(sb.cluster.nodes.every((n) => sb.cluster.host(n.name).kubeIpvs0 === null)).toBe(true);
  });

  it('stops before the switch when a node lacks the IPVS modules', async () => {
    const { cluster, h } = await setup({ nodes: 3, nodesWithoutIpvs: ['k8s-worker-2'] });
    const original = await configText(cluster);
    const before = await podUids(cluster);
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(['rolled_back', 'failed']).toContain(run.state);
    expect(run.reason).toMatch(/k8s-worker-2/);
    expect(await configText(cluster)).toBe(original);
    expect(await podUids(cluster)).toEqual(before);
    const prep = h.notifier.nodeEvents(run.runId).filter((e) => e.phase === 'prep');
    expect(prep.find((e) => e.node === 'k8s-worker-2')).toMatchObject({ ok: false });
    expect(h.audit(run.runId).some((e) => e.type === 'node.prep' && (e.payload as { node?: string }).node === 'k8s-worker-2')).toBe(true);
  });

  it('a kube-proxy crash-looping on node 7 of 20 rolls back nodes 1-7 and leaves 8-20 untouched', async () => {
    let sbRef: Sandbox | undefined;
    const { sb, cluster, h } = await setup({ nodes: 20, controlPlane: 0 }, {
      // The node's problem is IPVS-specific: once the bot has seen it crash, it comes back in iptables mode.
      onEvent: (e: RunEvent) => { if (e.type === 'node' && e.node === 'k8s-worker-7' && !e.ok) sbRef?.cluster.faults.crashKubeProxyOn('k8s-worker-7', false); },
    });
    sbRef = sb;
    sb.cluster.faults.crashKubeProxyOn('k8s-worker-7');
    const original = await configText(cluster);
    const before = await podUids(cluster);
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('rolled_back');
    expect(run.reason).toMatch(/k8s-worker-7/);
    const after = await podUids(cluster);
    const logs = await kubeProxyLogs(cluster);
    for (let i = 1; i <= 20; i++) {
      const n = `k8s-worker-${i}`;
      if (i <= 7) {
        expect(after.get(n), n).not.toBe(before.get(n));
        expect(logs.get(n), n).toMatch(/Using iptables Prox/);
        expect(sb.cluster.host(n).kubeIpvs0, n).toBeNull();
      } else {
        expect(after.get(n), `${n} untouched`).toBe(before.get(n));
      }
    }
    expect(await configText(cluster)).toBe(original);
    const failed = h.audit(run.runId).find((e) => e.type === 'step.failed');
    expect(JSON.stringify(failed?.payload)).toMatch(/k8s-worker-7/);
  });

  it('completes with 5% injected API 500s and latency spikes', async () => {
    const { sb, cluster, h } = await setup({ nodes: 3 });
    Object.assign(sb.faults, { errorRate: 0.05, spikes: { everyN: 25, ms: 2_000 }, seed: 7 });
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).toContain('Using ipvs Proxier');
    expect(cluster.stats().retries).toBeGreaterThan(0);
  });

  it('voids the run when the ConfigMap is edited between plan and switch', async () => {
    let sbRef: Sandbox | undefined;
    let edited = false;
    const { sb, cluster, h } = await setup({ nodes: 3 }, {
      // Edited while the nodes are being prepared, i.e. after the start check and before the switch.
      onEvent: (e) => {
        if (!edited && e.type === 'node' && e.phase === 'prep' && sbRef) {
          edited = true;
          editKubeProxyConfig(sbRef.store, (t) => t.replace('clusterCIDR: 10.244.0.0/16', 'clusterCIDR: 10.245.0.0/16'));
        }
      },
    });
    sbRef = sb;
    const before = await podUids(cluster);
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state).toBe('voided');
    expect(run.reason).toMatch(/ConfigMap was edited/);
    expect(readKubeProxySettings(await configText(cluster)).mode).toBe('');
    expect(await podUids(cluster)).toEqual(before);
  });

  it('with Calico and --cleanup kube-proxy: cleans before each restart and restarts calico-node after kube-proxy', async () => {
    const { sb, cluster, h } = await setup({ nodes: 3, extraWorkloads: ['calico-node'] });
    const calicoBefore = await cluster.listPods('kube-system', 'k8s-app=calico-node');
    expect(calicoBefore.length).toBe(3);
    const run = await h.planAndRun(PlanInput.parse({ cleanup: 'kube-proxy' }));
    expect(run.state, run.reason).toBe('succeeded');
    expect(run.plan.checks.find((c) => c.id === 'calico')?.verdict).toBe('warn');
    const calicoAfter = await cluster.listPods('kube-system', 'k8s-app=calico-node');
    for (const p of calicoBefore) expect(calicoAfter.some((q) => q.uid === p.uid), p.name).toBe(false);
    // Removing the init container makes the RollingUpdate DaemonSet restart each kube-proxy once more (same mode).
    for (let i = 0; i < 400 && sb.cluster.nodes.some((n) => sb.cluster.host(n.name).proxyMode !== 'ipvs'); i++) await new Promise((r) => setTimeout(r, 25));
    for (const n of sb.cluster.nodes) {
      const host = sb.cluster.host(n.name);
      expect(host.proxyMode).toBe('ipvs');
      expect([...host.nat].some((c) => /^KUBE-SVC-/.test(c)), `${n.name} iptables leftovers`).toBe(false);
    }
    // The cleanup ran as an init container of each new kube-proxy pod; the template is back as it was afterwards.
    const ds = sb.store.peek('daemonsets', 'kube-system', 'kube-proxy') as unknown as { spec: { template: { spec: { initContainers?: { name: string }[] } } } };
    expect((ds.spec.template.spec.initContainers ?? []).map((c) => c.name)).not.toContain('ipvs-bot-cleanup');
    expect(h.audit(run.runId).some((r) => JSON.stringify(r.payload).includes('"cleanupInitAdded":true'))).toBe(true);
  });

  it('refuses a second run on the cluster while the first holds the lock', async () => {
    const { h } = await setup({ nodes: 3 });
    const first = await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    await expect(h.workflows.plan('cluster-a', PlanInput.parse({ scheduler: 'wrr' }), 'U0OTHER')).rejects.toMatchObject({ code: 'locked' });
    expect((await h.workflows.approve(first.runId, 'U0APPROVER', first.plan.digest)).ok).toBe(true);
    expect((await h.waitFor(first.runId, ['succeeded', 'failed', 'rolled_back'])).state).toBe('succeeded');
  });
});
