// Issue #7 against the HTTP sandbox (real client-node through K8sCluster, real SQLite with the real migrations, the
// real engine): nftables as a target and as a source, the kernel gate, and the advice on the plan.
import { afterEach, describe, expect, it } from 'vitest';
import { K8sCluster } from '../../../src/k8s/k8s-cluster.js';
import { readKubeProxySettings } from '../../../src/k8s/kube-proxy-config.js';
import { type Sandbox, type SandboxOptions } from '../../../src/sandbox/index.js';
import { editKubeProxyConfig } from '../../../src/sandbox/cluster-faults.js';
import { PlanInput, type RunStatus } from '../../../src/workflows/kube-proxy-mode/api.js';
import { sandboxHarness, type HarnessOptions } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

// nftables mode is beta (on by default) from 1.31 and GA in 1.33 (domain §7).
const VERSION = 'v1.33.4';

const setup = (opts: SandboxOptions = {}, hopts: HarnessOptions = {}) => sandboxHarness(cleanups, { nodes: 3, kubernetesVersion: VERSION, ...opts }, hopts);

/** The newest kube-proxy pod's log per node. */
async function kubeProxyLogs(cluster: K8sCluster): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await cluster.listPods('kube-system', 'k8s-app=kube-proxy')) {
    if (p.nodeName && !p.deleting) out.set(p.nodeName, await cluster.podLogs('kube-system', p.name));
  }
  return out;
}

/** /proxyMode per node as the verify Jobs read it (the node results the run recorded). */
function verifiedModes(h: Awaited<ReturnType<typeof setup>>['h'], run: RunStatus): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const e of h.notifier.nodeEvents(run.runId)) {
    if (e.phase !== 'verified' || !e.ok) continue;
    out.set(e.node, (e.result['verify'] as { proxyMode?: unknown } | undefined)?.proxyMode);
  }
  return out;
}

const modeOf = async (cluster: K8sCluster) => readKubeProxySettings((await cluster.getConfigMap('kube-system', 'kube-proxy')).data['config.conf']!).mode;

describe('nftables as a kube-proxy-mode target, against the sandbox', () => {
  it('iptables → nftables → iptables: each run succeeds, logs and /proxyMode follow, nft tables come and go', async () => {
    const { sb, cluster, h } = await setup();
    const nodes = sb.cluster.nodes.map((n) => n.name);

    expect((await h.workflows.clusters())[0]?.recommendation).toMatch(/^nftables — every node runs kernel 5\.13 or later and kube-proxy 1\.33 has nftables GA/);
    const toNft = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(toNft.state, toNft.reason).toBe('succeeded');
    expect(toNft.plan.currentMode).toBe('iptables');
    expect(toNft.plan.configDiff).toMatch(/\+mode: "?nftables"?/);
    expect(await modeOf(cluster)).toBe('nftables');
    const nftLogs = await kubeProxyLogs(cluster);
    expect([...nftLogs.keys()].sort()).toEqual([...nodes].sort());
    for (const [node, log] of nftLogs) {
      expect(log, node).toContain('Using nftables Proxier');
      expect(log, node).not.toMatch(/Using iptables Proxier|Using ipvs Proxier/);
    }
    expect(Object.fromEntries(verifiedModes(h, toNft))).toEqual(Object.fromEntries(nodes.map((n) => [n, 'nftables'])));
    for (const n of nodes) {
      const host = sb.cluster.host(n);
      expect(host.proxyMode, n).toBe('nftables');
      expect([...host.nftTables].sort(), n).toEqual(['ip kube-proxy', 'ip6 kube-proxy']);
      // nftables mode removed the iptables mode's chains itself (domain §6.6).
      expect([...host.nat].filter((c) => c.startsWith('KUBE-')), n).toEqual([]);
    }

    const back = await h.planAndRun(PlanInput.parse({ targetMode: 'iptables' }));
    expect(back.state, back.reason).toBe('succeeded');
    expect(back.plan.currentMode).toBe('nftables');
    expect(await modeOf(cluster)).toBe('iptables');
    for (const [node, log] of await kubeProxyLogs(cluster)) {
      expect(log, node).toContain('Using iptables Proxier');
      expect(log, node).not.toContain('Using nftables Proxier');
    }
    expect(Object.fromEntries(verifiedModes(h, back))).toEqual(Object.fromEntries(nodes.map((n) => [n, 'iptables'])));
    for (const n of nodes) {
      const host = sb.cluster.host(n);
      expect(host.proxyMode, n).toBe('iptables');
      expect([...host.nftTables], `${n}: the nftables mode's tables are gone`).toEqual([]);
      expect([...host.nat].some((c) => c.startsWith('KUBE-SVC-')), n).toBe(true);
    }
    // Each run's cleanup step knew which mode it was leaving.
    const cleanupOf = (run: RunStatus) => h.notifier.nodeEvents(run.runId).filter((e) => e.phase === 'verified').map((e) => e.result['removed']);
    expect(cleanupOf(toNft).length).toBe(3);
    expect(cleanupOf(back).length).toBe(3);
  });

  it('/ipvs rollback of an nftables migration: back to iptables, nftables tables gone', async () => {
    const { sb, cluster, h } = await setup();
    const run = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(run.state, run.reason).toBe('succeeded');
    const rb = await h.workflows.rollback('cluster-a', 'U0REQUESTER');
    expect(rb.plan).toMatchObject({ kind: 'rollback', currentMode: 'nftables', targetMode: 'iptables' });
    expect(rb.plan.risks.join('\n')).toMatch(/deletes its nftables tables when it starts/);
    expect((await h.workflows.approve(rb.runId, 'U0APPROVER', rb.plan.digest)).ok).toBe(true);
    const done = await h.waitFor(rb.runId, ['succeeded', 'failed', 'waiting_operator', 'voided']);
    expect(done.state, done.reason).toBe('succeeded');
    expect(await modeOf(cluster)).toBe('');
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).toMatch(/Using iptables Prox/);
    expect([...verifiedModes(h, rb).values()]).toEqual(['iptables', 'iptables', 'iptables']);
    for (const n of sb.cluster.nodes) expect([...sb.cluster.host(n.name).nftTables], n.name).toEqual([]);
  });

  it('a kube-proxy crash on one node during iptables → nftables rolls the switched nodes back to iptables', async () => {
    let sbRef: Sandbox | undefined;
    const { sb, cluster, h } = await setup({ nodes: 4, controlPlane: 0 }, {
      // Once the bot has seen the crash, the node's problem goes away, so its rollback to iptables can come up.
      onEvent: (e) => { if (e.type === 'node' && e.node === 'k8s-worker-2' && !e.ok) sbRef?.cluster.faults.crashKubeProxyOn('k8s-worker-2', false); },
    });
    sbRef = sb;
    sb.cluster.faults.crashKubeProxyOn('k8s-worker-2');
    const run = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(run.state, run.reason).toBe('rolled_back');
    expect(run.reason).toMatch(/k8s-worker-2/);
    // The crashed container's own words reach the reason (its log, even before the kubelet rotated it to "previous").
    expect(run.reason).toMatch(/Error running ProxyServer/);
    expect(await modeOf(cluster)).toBe('');
    const rolledBack = h.notifier.nodeEvents(run.runId).filter((e) => e.phase === 'rolled-back');
    expect(rolledBack.length).toBeGreaterThan(0);
    for (const e of rolledBack) expect(e.ok, `${e.node}: ${JSON.stringify(e.result['errors'])}`).toBe(true);
    for (const e of rolledBack) {
      const host = sb.cluster.host(e.node);
      expect(host.proxyMode, e.node).toBe('iptables');
      expect([...host.nftTables], e.node).toEqual([]);
    }
  });

  it('iptables → IPVS → nftables: the IPVS leftovers are gone after the second run', async () => {
    const { sb, cluster, h } = await setup();
    const toIpvs = await h.planAndRun(PlanInput.parse({}));
    expect(toIpvs.state, toIpvs.reason).toBe('succeeded');
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).toContain('Using ipvs Proxier');
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).kubeIpvs0, n.name).not.toBeNull();

    const toNft = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(toNft.state, toNft.reason).toBe('succeeded');
    expect(toNft.plan.currentMode).toBe('ipvs');
    expect(await modeOf(cluster)).toBe('nftables');
    const after = await cluster.getConfigMap('kube-system', 'kube-proxy');
    // The IPVS scheduler the first run set stays in config.conf (unused in nftables mode, and harmless).
    expect(readKubeProxySettings(after.data['config.conf']!).scheduler).toBe('rr');
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).toContain('Using nftables Proxier');
    expect([...verifiedModes(h, toNft).values()]).toEqual(['nftables', 'nftables', 'nftables']);
    for (const n of sb.cluster.nodes) {
      const host = sb.cluster.host(n.name);
      expect(host.proxyMode).toBe('nftables');
      expect(host.kubeIpvs0, n.name).toBeNull();
      expect(host.kubernetesIpvs(), n.name).toEqual([]);
      expect([...host.ipsets].filter((s) => s.startsWith('KUBE-')), n.name).toEqual([]);
    }
    // The plan told the approvers why: nftables is what upstream recommends here, and IPVS is deprecated.
    expect(toNft.plan.advice?.recommendation.mode).toBe('nftables');
    expect(toNft.plan.advice?.recommendation.reason).toMatch(/replacement for the deprecated IPVS mode/);
    expect(toNft.plan.risks.join('\n')).toMatch(/kube-proxy in nftables mode removes the ipvs mode's rules itself/);
  });

  it('1.40: IPVS is blocked until config.conf enables the KubeProxyIPVS gate; with it the migration runs', async () => {
    const { sb, cluster, h } = await setup({ kubernetesVersion: 'v1.40.0' });
    const blocked = await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    expect(blocked.state).toBe('rejected');
    expect(blocked.plan.checks.find((c) => c.id === 'ipvs-deprecated')).toMatchObject({ verdict: 'block', message: expect.stringMatching(/featureGates: \{KubeProxyIPVS: true\}/) });
    expect(blocked.plan.advice?.recommendation.mode).toBe('nftables');
    // The sandbox's kube-proxy 1.40 refuses IPVS without the gate, as KEP-5495 plans: the block is not just caution.
    editKubeProxyConfig(sb.store, (t) => `${t.replace(/^mode: .*$/m, 'mode: "ipvs"')}\nfeatureGates:\n  KubeProxyIPVS: false\n`);
    const pod = (await cluster.listPods('kube-system', 'k8s-app=kube-proxy')).find((p) => p.nodeName === 'k8s-worker-1')!;
    await cluster.deletePod('kube-system', pod.name, pod.uid);
    const crashed = await cluster.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { notUid: pod.uid, timeoutMs: 10_000 });
    expect(crashed.ready).toBe(false);
    expect(await cluster.podLogs('kube-system', crashed.name)).toMatch(/feature gate KubeProxyIPVS is disabled/);
    // Put it back (iptables, gate on), let the node recover, then plan again.
    editKubeProxyConfig(sb.store, (t) => t.replace(/^mode: .*$/m, 'mode: ""').replace('KubeProxyIPVS: false', 'KubeProxyIPVS: true'));
    await cluster.deletePod('kube-system', crashed.name, crashed.uid);
    await cluster.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { notUid: crashed.uid, timeoutMs: 10_000 });
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    expect(run.plan.checks.find((c) => c.id === 'ipvs-deprecated')).toMatchObject({ verdict: 'warn', message: expect.stringMatching(/re-enables it/) });
    for (const [node, log] of await kubeProxyLogs(cluster)) {
      expect(log, node).toContain('Using ipvs Proxier');
      expect(log, node).toContain('The ipvs proxier is now deprecated');
    }
  });

  it('a node with kernel 5.10 blocks an nftables plan, naming the node; nothing changes', async () => {
    const { cluster, h } = await setup({ kernel: ['6.1.0-27-amd64', '6.1.0-27-amd64', '5.10.0-28-amd64'] });
    const before = await cluster.getConfigMap('kube-system', 'kube-proxy');
    const planned = await h.workflows.plan('cluster-a', PlanInput.parse({ targetMode: 'nftables' }), 'U0REQUESTER');
    expect(planned.state).toBe('rejected');
    const gate = planned.plan.checks.find((c) => c.id === 'kernel-nftables');
    expect(gate).toMatchObject({ verdict: 'block', nodes: ['k8s-worker-2'] });
    expect(gate?.message).toMatch(/5\.13.*k8s-worker-2/);
    expect(planned.reason).toMatch(/k8s-worker-2/);
    const approve = await h.workflows.approve(planned.runId, 'U0APPROVER', planned.plan.digest);
    expect(approve.ok).toBe(false);
    expect((await cluster.getConfigMap('kube-system', 'kube-proxy')).resourceVersion).toBe(before.resourceVersion);
    // /ipvs clusters says the same: iptables, because of that node.
    const [listed] = await h.workflows.clusters();
    expect(listed).toMatchObject({ name: 'cluster-a', mode: 'iptables' });
    expect(listed?.recommendation).toMatch(/^iptables — 1 of 3 nodes run a kernel older than 5\.13 \(k8s-worker-2\)/);
    // The same cluster may still move to IPVS (kernel 5.10 is fine there).
    const ipvs = await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    expect(ipvs.plan.checks.find((c) => c.id === 'kernel-nftables')).toBeUndefined();
  });

  it('a node without IPVS modules does not stop a move to nftables (prep checks what the target needs)', async () => {
    const { sb, cluster, h } = await setup({ nodesWithoutIpvs: ['k8s-worker-1'] });
    const run = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(run.state, run.reason).toBe('succeeded');
    expect(sb.cluster.host('k8s-worker-1').proxyMode).toBe('nftables');
    const prep = h.notifier.nodeEvents(run.runId).find((e) => e.phase === 'prep' && e.node === 'k8s-worker-1');
    expect(prep?.ok).toBe(true);
    expect(prep?.result['nftables']).toMatchObject({ kernel: true });
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).toContain('Using nftables Proxier');
  });

  it('non-Kubernetes IPVS services (keepalived) stop an nftables run before the switch: nftables kube-proxy would flush them', async () => {
    const { sb, cluster, h } = await setup({ foreignIpvsServices: [{ node: 'k8s-worker-1', address: '192.168.10.5', port: 80 }] });
    const run = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(['failed', 'rolled_back']).toContain(run.state);
    expect(run.reason).toMatch(/k8s-worker-1.*flushes the whole IPVS table each time it starts in nftables mode/);
    expect(await modeOf(cluster)).toBe('');
    expect(sb.cluster.host('k8s-worker-1').foreignIpvs().map((s) => `${s.address}:${s.port}`)).toEqual(['192.168.10.5:80']);
    // The same node may move to IPVS: targeted cleanup keeps the service (a warning, not a block).
    const ipvs = await h.planAndRun(PlanInput.parse({}));
    expect(ipvs.state, ipvs.reason).toBe('succeeded');
    expect(sb.cluster.host('k8s-worker-1').foreignIpvs().map((s) => `${s.address}:${s.port}`)).toEqual(['192.168.10.5:80']);
  });

  it('the prep Job stops the run before the switch when a host kernel turns out older than 5.13', async () => {
    const { sb, cluster, h } = await setup();
    // The Node object still says 6.1 (so the plan passes); the host itself runs 5.10 (what uname -r reports).
    sb.cluster.host('k8s-worker-1').kernel = '5.10.0-28-amd64';
    const run = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(['failed', 'rolled_back']).toContain(run.state);
    expect(run.reason).toMatch(/k8s-worker-1/);
    expect(run.reason).toMatch(/5\.13/);
    expect(await modeOf(cluster)).toBe('');
    for (const [node, log] of await kubeProxyLogs(cluster)) expect(log, node).not.toContain('nftables');
  });
});
