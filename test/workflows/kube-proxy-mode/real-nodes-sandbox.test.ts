// Issue #10 "Done when", end to end against the HTTP sandbox (real client-node through K8sCluster, real SQLite, the
// real engine), with the sandbox modelling current kube-proxy by version (domain §4.3, §5, §6.6).
import { afterEach, describe, expect, it } from 'vitest';
import { K8sCluster } from '../../../src/k8s/k8s-cluster.js';
import type { SandboxOptions } from '../../../src/sandbox/index.js';
import { PlanInput, type RunStatus } from '../../../src/workflows/kube-proxy-mode/api.js';
import { sandboxHarness } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

const setup = (opts: SandboxOptions) => sandboxHarness(cleanups, opts);

type H = Awaited<ReturnType<typeof setup>>['h'];

async function rollBack(h: H): Promise<RunStatus> {
  const rb = await h.workflows.rollback('cluster-a', 'U0REQUESTER');
  expect(rb.state, rb.reason).toBe('awaiting_approval');
  expect((await h.workflows.approve(rb.runId, 'U0APPROVER', rb.plan.digest)).ok).toBe(true);
  return h.waitFor(rb.runId, ['succeeded', 'failed', 'waiting_operator', 'voided', 'rolled_back']);
}

/** Each node's verify result as the run recorded it (thread and audit see the same object). */
function verifyResults(h: H, runId: string): Map<string, Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = new Map<string, Record<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const e of h.notifier.nodeEvents(runId)) {
    if (e.phase === 'verified' && e.result.verify) out.set(e.node, e.result.verify as Record<string, unknown>);
  }
  return out;
}

async function jobNodes(cluster: K8sCluster): Promise<Set<string>> {
  return new Set((await cluster.listPods('ipvs-bot-jobs', 'app.kubernetes.io/managed-by=ipvs-bot')).map((p) => p.nodeName ?? ''));
}

describe('issue #10: right on real nodes (sandbox)', () => {
  // KUBE-IPVS-FILTER (k/k PR #108460, v1.26) REJECTs ping to kube-ipvs0 addresses; before v1.26 the node replies.
  it.each([
    { version: 'v1.25.16', ping: 'replied' },
    { version: 'v1.28.7', ping: 'rejected' },
    { version: 'v1.30.4', ping: 'rejected' },
    { version: 'v1.35.0', ping: 'rejected' },
  ])('$version: migrates iptables → IPVS and back with the default options, ping read as $ping', async ({ version, ping }) => {
    const { sb, h } = await setup({ nodes: 3, kubernetesVersion: version });
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    const results = verifyResults(h, run.runId);
    expect(results.size).toBe(3);
    for (const [node, r] of results) {
      expect(r.ping, node).toMatchObject({ target: '10.96.0.1', outcome: ping, expected: ping });
      expect(r.dns, node).toMatchObject({ name: 'kubernetes.default.svc.cluster.local', ok: true });
    }
    const rb = await rollBack(h);
    expect(rb.state, rb.reason).toBe('succeeded');
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).proxyMode, n.name).toBe('iptables');
  });

  it.each([
    { ipFamilies: 'IPv6' as const, tcp: /^\[[0-9a-f:]+\]:443$/, dnsType: 'AAAA' },
    { ipFamilies: 'DualStack' as const, tcp: /^10\.96\.0\.1:443$/, dnsType: 'A' },
  ])('an $ipFamilies cluster migrates and rolls back', async ({ ipFamilies, tcp, dnsType }) => {
    const { sb, h } = await setup({ nodes: 3, ipFamilies });
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    for (const [node, r] of verifyResults(h, run.runId)) {
      expect(r.tcp?.target, node).toMatch(tcp);
      expect(r.tcp?.ok, node).toBe(true);
      expect(r.dns, node).toMatchObject({ type: dnsType, ok: true });
    }
    const rb = await rollBack(h);
    expect(rb.state, rb.reason).toBe('succeeded');
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).kubeIpvs0, n.name).toBeNull();
  });

  it('resolves the DNS name in the cluster\'s own clusterDomain', async () => {
    const { h } = await setup({ nodes: 2, clusterDomain: 'corp.example' });
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    expect(run.plan.clusterDomain).toEqual({ value: 'corp.example', source: 'kubelet-config' });
    for (const r of verifyResults(h, run.runId).values()) expect(r.dns).toMatchObject({ name: 'kubernetes.default.svc.corp.example', ok: true });
  });

  it('lists a Windows node and a node outside the DaemonSet\'s selector as skipped, and gives them no Job', async () => {
    const { cluster, h } = await setup({
      nodes: 4, windowsNodes: [3],
      kubeProxyNodeSelector: { 'kubernetes.io/os': 'linux', 'example.com/kube-proxy': 'true' },
      nodeLabels: [0, 1].map((node) => ({ node, labels: { 'example.com/kube-proxy': 'true' } })),
    });
    const names = (await cluster.listNodes()).map((n) => n.name);
    const run = await h.planAndRun(PlanInput.parse({}));
    expect(run.state, run.reason).toBe('succeeded');
    expect(run.plan.nodes.map((n) => n.name)).toEqual([names[0], names[1]]);
    expect(run.plan.skipped).toEqual([
      { node: names[2], reason: expect.stringMatching(/nodeSelector example\.com\/kube-proxy=true/) },
      { node: names[3], reason: expect.stringMatching(/nodeSelector kubernetes\.io\/os=linux; the node has kubernetes\.io\/os=windows/) },
    ]);
    expect(run.plan.checks.find((c) => c.id === 'nodes-skipped')?.verdict).toBe('warn');
    const withJobs = await jobNodes(cluster);
    expect(withJobs.has(names[2]!)).toBe(false);
    expect(withJobs.has(names[3]!)).toBe(false);
    expect(withJobs.has(names[0]!)).toBe(true);
  });

  const lbServices: SandboxOptions['services'] = [
    { name: 'web', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
    { name: 'edge', type: 'LoadBalancer', ports: [{ port: 443, nodePort: 31443 }], loadBalancerIngress: ['203.0.113.10'], externalTrafficPolicy: 'Local' },
  ];

  it('IPVS → nftables on a cluster with NodePort and LoadBalancer Services is not blocked', async () => {
    const { sb, h } = await setup({ nodes: 3, kubernetesVersion: 'v1.33.2', services: lbServices });
    expect((await h.planAndRun(PlanInput.parse({}))).state).toBe('succeeded');
    // Kubernetes' NodePort virtual servers sit on the node addresses, not on kube-ipvs0.
    expect(sb.cluster.host(sb.cluster.nodes[0]!.name).ipvs.size).toBeGreaterThan(0);
    const run = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(run.state, run.reason).toBe('succeeded');
    expect(run.plan.advice?.warnings.join('\n')).toMatch(/externalTrafficPolicy: Local \(default\/edge\)/);
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).proxyMode, n.name).toBe('nftables');
  });

  it('IPVS → nftables is blocked by a keepalived-style virtual server, normal or fwmark, and names it', async () => {
    const { sb, h } = await setup({
      nodes: 3, kubernetesVersion: 'v1.33.2', services: lbServices,
      foreignIpvsServices: [{ node: 1, proto: 'TCP', address: '192.168.10.50', port: 80 }, { node: 2, proto: 'FWM', fwmark: 100 }],
    });
    expect((await h.planAndRun(PlanInput.parse({}))).state).toBe('succeeded');
    const run = await h.planAndRun(PlanInput.parse({ targetMode: 'nftables' }));
    expect(run.state).not.toBe('succeeded');
    expect(run.reason).toMatch(/Stopped before the switch/);
    expect(run.reason).toMatch(/TCP 192\.168\.10\.50:80/);
    expect(run.reason).toMatch(/FWM 100/);
    expect(run.reason).toContain(sb.cluster.nodes[1]!.name);
    expect(run.reason).toContain(sb.cluster.nodes[2]!.name);
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).proxyMode, n.name).toBe('ipvs');
  });

  it("keeps another NetworkPolicy controller's KUBE- sets and chains through a migration and its rollback", async () => {
    const { sb, h } = await setup({ nodes: 2, kubeRouterNetworkPolicy: true });
    const host = sb.cluster.host(sb.cluster.nodes[0]!.name);
    const theirs = (s: Iterable<string>) => [...s].filter((x) => /^KUBE-(SRC|DST|NWPLCY|POD-FW)-/.test(x)).sort();
    const before = { sets: theirs(host.ipsets), filter: theirs(host.filter) };
    expect(before.sets.length).toBeGreaterThan(0);
    expect((await h.planAndRun(PlanInput.parse({}))).state).toBe('succeeded');
    const rb = await rollBack(h);
    expect(rb.state, rb.reason).toBe('succeeded');
    expect({ sets: theirs(host.ipsets), filter: theirs(host.filter) }).toEqual(before);
    expect([...host.ipsets].filter((s) => ['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK', 'KUBE-IPVS-IPS'].includes(s))).toEqual([]);
  });
});
