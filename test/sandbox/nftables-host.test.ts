// The sandbox's nftables mode (issue #7), without the API server: kube-proxy start-up (log line, /proxyMode, kernel
// gate, cleanup across modes, domain §4.1 and §6.6) and the node agent answering the bot's real Job specs.
import { describe, expect, it } from 'vitest';
import { HostState, type ServicePort } from '../../src/sandbox/node-agent/host-state.js';
import { runNodeJob } from '../../src/sandbox/node-agent/node-agent.js';
import { program, startKubeProxy } from '../../src/sandbox/kube-proxy-sim.js';
import { createNodeJobFactory } from '../../src/k8s/node-jobs.js';
import type { NodeJobSpec } from '../../src/k8s/cluster.js';

const SERVICES: ServicePort[] = [
  { namespace: 'default', name: 'kubernetes', portName: 'https', clusterIP: '10.96.0.1', port: 443, proto: 'TCP' },
  { namespace: 'kube-system', name: 'kube-dns', portName: 'dns', clusterIP: '10.96.0.10', port: 53, proto: 'UDP' },
];
const conf = (mode: string) => `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "${mode}"\n`;
const jobs = createNodeJobFactory({ runId: 'r1' });

function asPod(spec: NodeJobSpec, node: string) {
  const tpl = (spec.manifest as { spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } } }).spec.template;
  return { metadata: { labels: tpl.metadata.labels }, spec: { ...tpl.spec, nodeName: node } } as never;
}
const result = (h: HostState, spec: NodeJobSpec) => JSON.parse(runNodeJob(h, asPod(spec, h.node), { services: SERVICES }).message) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const TARGETS = { servicePorts: 2, tcpTarget: '10.96.0.1:443', dnsServer: '10.96.0.10', dnsName: 'kubernetes.default.svc.cluster.local', pingTarget: '10.96.0.1' };

describe('sandbox nftables mode', () => {
  it('kube-proxy ≥1.29 in nftables mode logs "Using nftables Proxier", serves /proxyMode nftables and removes IPVS leftovers', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    program(h, 'ipvs', 'rr', false, SERVICES);
    const r = startKubeProxy({ host: h, version: 'v1.33.4', configText: conf('nftables'), services: SERVICES });
    expect(r.mode).toBe('nftables');
    expect(r.log.join('\n')).toContain('"Using nftables Proxier"');
    expect(h.proxyMode).toBe('nftables');
    expect([...h.nftTables].sort()).toEqual(['ip kube-proxy', 'ip6 kube-proxy']);
    expect(h.kubeIpvs0).toBeNull();
    expect(h.kubernetesIpvs()).toEqual([]);
  });

  it('starting in nftables mode flushes the whole IPVS table (upstream ipvs.CleanupLeftovers), foreign services too', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    program(h, 'iptables', 'rr', false, SERVICES);
    h.addIpvs({ proto: 'TCP', address: '192.168.10.5', port: 80, scheduler: 'wlc' });
    startKubeProxy({ host: h, version: 'v1.33.4', configText: conf('nftables'), services: SERVICES });
    expect(h.ipvs.size).toBe(0);
  });

  it('kernel 5.10: kube-proxy exits with "requires kernel 5.13 or later" and serves no /proxyMode', () => {
    const h = new HostState('n1', '5.10.0-28-amd64', true);
    const r = startKubeProxy({ host: h, version: 'v1.33.4', configText: conf('nftables'), services: SERVICES });
    expect(r.mode).toBeNull();
    expect(r.log.join('\n')).toMatch(/kube-proxy in nftables mode requires kernel 5\.13 or later/);
    expect(h.proxyMode).toBe('');
    expect([...h.nftTables]).toEqual([]);
  });

  it('starting in iptables mode deletes the nftables tables', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    program(h, 'nftables', 'rr', false, SERVICES);
    const r = startKubeProxy({ host: h, version: 'v1.33.4', configText: conf('iptables'), services: SERVICES });
    expect(r.log.join('\n')).toContain('"Using iptables Proxier"');
    expect([...h.nftTables]).toEqual([]);
  });

  it('node agent prep for nftables: kernel gate and nf_tables, no IPVS modules needed', () => {
    const noIpvs = new HostState('n1', '6.1.0-27-amd64', false);
    const ok = result(noIpvs, jobs.prep('n1', { scheduler: 'rr', targetMode: 'nftables' }));
    expect(ok).toMatchObject({ ok: true, ipvsProbe: 'not-needed', modules: { nf_tables: 'loaded', nf_conntrack: 'loaded' }, nftables: { kernel: true, probe: 'ok' } });
    expect(noIpvs.persistedModules.size).toBe(0);
    const old = new HostState('n2', '5.10.0-28-amd64', true);
    const bad = result(old, jobs.prep('n2', { scheduler: 'rr', targetMode: 'nftables' }));
    expect(bad.ok).toBe(false);
    expect(bad.errors).toEqual(['kernel 5.10.0-28-amd64 is older than 5.13: kube-proxy in nftables mode requires kernel 5.13 or later']);
    expect(old.sysctlFiles.size).toBe(0);
    // The same node may still go to IPVS.
    expect(result(old, jobs.prep('n2', { scheduler: 'rr', targetMode: 'ipvs' })).ok).toBe(true);
  });

  it('node agent verify and cleanup: nftables tables required in nftables mode, removed after leaving it', () => {
    const h = new HostState('n1', '6.1.0-27-amd64', true);
    program(h, 'nftables', 'rr', false, SERVICES);
    const v = result(h, jobs.verify('n1', { targetMode: 'nftables', targets: TARGETS, attempt: 'fwd' }));
    expect(v).toMatchObject({ ok: true, proxyMode: 'nftables', kubeIpvs0: false, nftTables: ['ip kube-proxy', 'ip6 kube-proxy'], tcp: { ok: true }, dns: { ok: true }, ping: { replies: 0 } });
    // A kube-proxy that left its nftables tables behind after switching to iptables: verify fails, cleanup removes them.
    program(h, 'iptables', 'rr', false, SERVICES);
    h.nftTables.add('ip kube-proxy');
    expect(result(h, jobs.verify('n1', { targetMode: 'iptables', targets: TARGETS, attempt: 'fwd' })).errors)
      .toContain("kube-proxy's nftables tables are still there (ip kube-proxy): an nftables leftover");
    const c = result(h, jobs.cleanup('n1', { fromMode: 'nftables', targetMode: 'iptables', method: 'targeted', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.33.4', attempt: 'fwd' }));
    expect(c).toMatchObject({ ok: true, fromMode: 'nftables', removed: { nftTables: 1 } });
    expect([...h.nftTables]).toEqual([]);
    expect(result(h, jobs.verify('n1', { targetMode: 'iptables', targets: TARGETS, attempt: 'fwd' })).ok).toBe(true);
  });
});
