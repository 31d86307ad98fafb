// The simulated host, kube-proxy start-up and the node agent, without the API server.
import { describe, expect, it } from 'vitest';
import { HostState, type ServicePort } from '../../src/sandbox/node-agent/host-state.js';
import { runNodeJob } from '../../src/sandbox/node-agent/node-agent.js';
import { program, startKubeProxy } from '../../src/sandbox/kube-proxy-sim.js';
import { nodeSpecs, parseClusterOptions } from '../../src/sandbox/cluster-options.js';
import { nodeJobSpec } from '../../src/k8s/node-jobs.js';

const SERVICES: ServicePort[] = [
  { namespace: 'default', name: 'kubernetes', portName: 'https', clusterIP: '10.96.0.1', port: 443, proto: 'TCP' },
  { namespace: 'kube-system', name: 'kube-dns', portName: 'dns', clusterIP: '10.96.0.10', port: 53, proto: 'UDP' },
  { namespace: 'kube-system', name: 'kube-dns', portName: 'dns-tcp', clusterIP: '10.96.0.10', port: 53, proto: 'TCP' },
];
const conf = (mode: string) => `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nipvs:\n  scheduler: ""\nmode: "${mode}"\n`;

/** The pod the bot's real Job factory would produce (the agent reads its labels and env). */
function botPod(phase: 'prep' | 'verify' | 'cleanup', node: string, targetMode: 'ipvs' | 'iptables', extra: Record<string, unknown> = {}) {
  const spec = nodeJobSpec({ runId: 'r1' }, { phase, node, targetMode, ...extra } as never);
  const tpl = (spec.manifest as { spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } } }).spec.template;
  return { metadata: { labels: tpl.metadata.labels }, spec: { ...tpl.spec, nodeName: node } } as never;
}

const result = (h: HostState, pod: never) => JSON.parse(runNodeJob(h, pod, { services: SERVICES }).message) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('src/sandbox/kube-proxy-sim', () => {
  it('logs "Using ipvs Proxier" and binds every ClusterIP to kube-ipvs0 in ipvs mode, keeping iptables leftovers', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    program(h, 'iptables', 'rr', false, SERVICES);
    const r = startKubeProxy({ host: h, version: 'v1.28.7', configText: conf('ipvs'), services: SERVICES });
    expect(r.mode).toBe('ipvs');
    expect(r.log.join('\n')).toContain('"Using ipvs Proxier"');
    expect(r.log.join('\n')).toContain('IPVS scheduler not specified, use rr by default');
    expect(h.proxyMode).toBe('ipvs');
    expect([...(h.kubeIpvs0 ?? [])].sort()).toEqual(['10.96.0.1', '10.96.0.10']);
    expect(h.ipvs.size).toBe(3);
    expect([...h.nat].some((c) => c.startsWith('KUBE-SVC-'))).toBe(true); // not cleaned (domain §6.6)
  });

  it('crash-loops with "can\'t use the IPVS proxier" on ≥1.26 when the kernel has no IPVS, falls back on 1.25', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', false);
    const r = startKubeProxy({ host: h, version: 'v1.28.7', configText: conf('ipvs'), services: SERVICES });
    expect(r.mode).toBeNull();
    expect(r.log.join('\n')).toContain("can't use the IPVS proxier");
    expect(h.proxyMode).toBe('');
    const old = startKubeProxy({ host: h, version: 'v1.25.16', configText: conf('ipvs'), services: SERVICES });
    expect(old.mode).toBe('iptables');
    expect(old.log.join('\n')).toContain('"Using iptables Proxier"');
  });

  it('prints the IPVS deprecation error on v1.35 and gates nftables on kernel 5.13', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    const r = startKubeProxy({ host: h, version: 'v1.35.0', configText: conf('ipvs'), services: SERVICES });
    expect(r.ipvsDeprecation).toBe(true);
    expect(r.log.some((l) => l.startsWith('E') && l.includes('The ipvs proxier is now deprecated'))).toBe(true);
    const nft = startKubeProxy({ host: h, version: 'v1.33.0', configText: conf('nftables'), services: SERVICES });
    expect(nft.mode).toBe('nftables');
    expect(nft.log.join('\n')).toContain('"Using nftables Proxier"');
    expect(h.kubeIpvs0).toBeNull(); // nftables start cleans IPVS leftovers
    const oldKernel = new HostState('n2', '4.18.0-513.el8.x86_64', true);
    const bad = startKubeProxy({ host: oldKernel, version: 'v1.33.0', configText: conf('nftables'), services: SERVICES });
    expect(bad.mode).toBeNull();
    expect(bad.log.join('\n')).toContain('kube-proxy in nftables mode requires kernel 5.13 or later');
  });
});

describe('src/sandbox/node-agent', () => {
  it('prep loads and persists modules, nf_conntrack_ipv4 below 4.19, and reports missing IPVS modules', () => {
    const modern = new HostState('k8s-cp-1', '6.1.0-27-amd64', true);
    const a = result(modern, botPod('prep', 'k8s-cp-1', 'ipvs', { scheduler: 'wrr' }));
    expect(a).toMatchObject({ phase: 'prep', node: 'k8s-cp-1', ok: true, errors: [], kernel: '6.1.0-27-amd64', modules: { ip_vs: 'loaded', ip_vs_wrr: 'loaded', nf_conntrack: 'loaded' } });
    expect(modern.persistedModules.get('ipvs-bot.conf')).toContain('ip_vs_sh');
    const centos = new HostState('k8s-worker-1', '3.10.0-1160.el7.x86_64', true);
    const b = result(centos, botPod('prep', 'k8s-worker-1', 'ipvs'));
    expect(b.modules).toMatchObject({ nf_conntrack_ipv4: 'loaded' });
    expect(b.ok).toBe(false); // kernel < 4.1
    const noIpvs = new HostState('k8s-worker-2', '4.18.0-513.el8.x86_64', false);
    const c = result(noIpvs, botPod('prep', 'k8s-worker-2', 'ipvs'));
    expect(c).toMatchObject({ ok: false, modules: { ip_vs: 'missing', ip_vs_sh: 'missing', nf_conntrack: 'loaded' }, ipvsProbe: 'failed' });
  });

  it('verify reads /proxyMode, kube-ipvs0 and IPVS counts; on 1.28 a ClusterIP ping is rejected by KUBE-IPVS-FILTER, also as a leftover', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    const verifyTargets = { servicePorts: 3, tcpTarget: '10.96.0.1:443', dnsServer: '10.96.0.10', dnsName: 'kubernetes.default.svc.cluster.local', pingTarget: '10.96.0.1' };
    startKubeProxy({ host: h, version: 'v1.28.7', configText: conf('ipvs'), services: SERVICES });
    const v = result(h, botPod('verify', 'n1', 'ipvs', { verify: verifyTargets }));
    expect(v).toMatchObject({ ok: true, proxyMode: 'ipvs', kubeIpvs0: true, ipvsServices: 3, tcp: { target: '10.96.0.1:443', ok: true }, dns: { ok: true }, ping: { target: '10.96.0.1', replies: 0, rejected: 3, outcome: 'rejected' } });
    // back to iptables without cleanup: kube-ipvs0 and the filter stay → verify fails with the leftover named
    startKubeProxy({ host: h, version: 'v1.28.7', configText: conf(''), services: SERVICES });
    const back = result(h, botPod('verify', 'n1', 'iptables', { verify: verifyTargets }));
    expect(back.proxyMode).toBe('iptables');
    expect(back.ok).toBe(false);
    expect(back.ping).toMatchObject({ replies: 0, outcome: 'rejected', expected: 'no-reply' });
    expect(back.errors.join(' ')).toContain('kube-ipvs0 still exists');
    // cleanup removes Kubernetes' IPVS state but never a foreign virtual server
    h.addIpvs({ proto: 'TCP', address: '192.168.1.10', port: 80, scheduler: 'wlc' });
    const cl = result(h, botPod('cleanup', 'n1', 'iptables'));
    expect(cl).toMatchObject({ ok: true, removed: { ipvsServices: 3, kubeIpvs0: 1 }, kept: { foreignIpvsServices: 1 } });
    expect(h.ipvs.size).toBe(1);
    const clean = result(h, botPod('verify', 'n1', 'iptables', { verify: verifyTargets }));
    expect(clean).toMatchObject({ ok: true, kubeIpvs0: false, ping: { replies: 0, outcome: 'no-answer' }, tcp: { ok: true } });
  });

  it('verify reports proxyMode "" when no kube-proxy runs; other Jobs simply succeed', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    const v = result(h, botPod('verify', 'n1', 'ipvs', { verify: { servicePorts: 0, dnsName: 'kubernetes.default' } }));
    expect(v.proxyMode).toBe('');
    expect(v.ok).toBe(false);
    expect(runNodeJob(h, { metadata: { labels: { app: 'x' } }, spec: { containers: [{}] } }, { services: [] })).toMatchObject({ exitCode: 0, message: '' });
  });
});

describe('src/sandbox/cluster-options', () => {
  it('names nodes like kubeadm clusters and mirrors the fixture kernels on request', () => {
    const specs = nodeSpecs(parseClusterOptions({ nodes: 4, mirrorFixtureNodes: true, nodesWithoutIpvs: [3], notReady: ['k8s-worker-1'] }));
    expect(specs.map((s) => [s.name, s.kernel, s.ipvs, s.ready])).toEqual([
      ['k8s-cp-1', '6.1.0-27-amd64', true, true], ['k8s-worker-1', '3.10.0-1160.el7.x86_64', true, false],
      ['k8s-worker-2', '4.18.0-513.el8.x86_64', true, true], ['k8s-worker-3', '6.1.0-27-amd64', false, true],
    ]);
    expect(() => parseClusterOptions({ nodes: 0 })).toThrow(/nodes/);
    expect(() => nodeSpecs(parseClusterOptions({ nodes: 2, nodesWithoutIpvs: ['nope'] }))).toThrow(/unknown node/);
  });
});
