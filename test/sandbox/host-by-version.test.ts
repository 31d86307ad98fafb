// The simulated host and node agent per the issue #10 node-Job contract, without the API server: ping by mode and
// version (domain §5), Services as kube-proxy programs them, the ownership rule, another controller's KUBE- state,
// DNS answers judged like dig, kube-proxy's metrics bind address, sysctl restore and the nft version gate.
import { describe, expect, it } from 'vitest';
import { HostState, type ServicePort } from '../../src/sandbox/node-agent/host-state.js';
import { kubeProxyCleanup, runNodeJob, type AgentContext } from '../../src/sandbox/node-agent/node-agent.js';
import { startKubeProxy } from '../../src/sandbox/kube-proxy-sim.js';
import { addKubeRouterState, KUBE_ROUTER } from '../../src/sandbox/node-agent/kube-router-state.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const NODE = ['10.0.0.12', '10.244.1.1'];
const SERVICES: ServicePort[] = [
  { namespace: 'default', name: 'kubernetes', portName: 'https', clusterIP: '10.96.0.1', port: 443, proto: 'TCP' },
  { namespace: 'kube-system', name: 'kube-dns', portName: 'dns', clusterIP: '10.96.0.10', port: 53, proto: 'UDP' },
  { namespace: 'kube-system', name: 'kube-dns', portName: 'dns-tcp', clusterIP: '10.96.0.10', port: 53, proto: 'TCP' },
  { namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.32.0', port: 80, proto: 'TCP', type: 'LoadBalancer', nodePort: 30080,
    externalIPs: ['203.0.113.10'], loadBalancerIPs: ['10.0.0.12'], externalTrafficPolicy: 'Local' },
];
const conf = (mode: string, extra = '') => `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "${mode}"\n${extra}`;

function host(version: string, mode: string, extra = ''): HostState {
  const h = new HostState('n1', '6.1.0-27-amd64', true, NODE);
  startKubeProxy({ host: h, version, configText: conf(mode, extra), services: SERVICES });
  return h;
}

/** A bot Job pod as the contract shapes it (labels + env of the first container). */
function job(h: HostState, phase: string, target: string, env: Record<string, string>, ctx: Partial<AgentContext> = {}): Any {
  const pod = { metadata: { labels: { 'app.kubernetes.io/managed-by': 'ipvs-bot', 'ipvs-bot/phase': phase, 'ipvs-bot/target-mode': target } },
    spec: { nodeName: 'n1', containers: [{ env: Object.entries(env).map(([name, value]) => ({ name, value })) }] } };
  return JSON.parse(runNodeJob(h, pod, { services: SERVICES, ...ctx }).message);
}
const ping = (h: HostState, target: string, minor: string) => job(h, 'verify', target, { IPVS_BOT_PING_TARGET: '10.96.0.1', IPVS_BOT_KUBE_PROXY_MINOR: minor });

describe('ping to a ClusterIP by mode and version (domain §5)', () => {
  it('IPVS <1.26 replies (kube-ipvs0 address); ≥1.26 KUBE-IPVS-FILTER rejects, and neither fails verify', () => {
    const old = ping(host('v1.25.16', 'ipvs'), 'ipvs', '25');
    expect(old.ping).toEqual({ target: '10.96.0.1', replies: 3, rejected: 0, expected: 'replied', outcome: 'replied' });
    const cur = ping(host('v1.28.7', 'ipvs'), 'ipvs', '28');
    expect(cur.ping).toEqual({ target: '10.96.0.1', replies: 0, rejected: 3, expected: 'rejected', outcome: 'rejected' });
    expect([...old.errors, ...cur.errors].join(' ')).not.toContain('ping');
    expect(ping(host('v1.28.7', 'ipvs'), 'ipvs', '').ping.expected).toBe('replied-or-rejected');
  });

  it('iptables: no answer; nftables: no answer on 1.29, rejected from 1.30 (cluster-ips-check); neither an error', () => {
    expect(ping(host('v1.28.7', 'iptables'), 'iptables', '28').ping).toMatchObject({ outcome: 'no-answer', expected: 'no-reply' });
    expect(ping(host('v1.29.9', 'nftables'), 'nftables', '29').ping.outcome).toBe('no-answer');
    const nft = ping(host('v1.30.4', 'nftables'), 'nftables', '30');
    expect(nft.ping).toMatchObject({ outcome: 'rejected', rejected: 3 });
    expect(nft.errors.join(' ')).not.toContain('ping');
  });

  it('a kube-ipvs0 left after IPVS → iptables replies on <1.26 (an error) and stays rejected on ≥1.26 while the filter is there', () => {
    const h = host('v1.25.16', 'ipvs');
    startKubeProxy({ host: h, version: 'v1.25.16', configText: conf('iptables'), services: SERVICES });
    expect(ping(h, 'iptables', '25').errors).toContain('ClusterIP 10.96.0.1 answers ping in iptables mode: an IPVS leftover (kube-ipvs0) still owns it');
    const n = host('v1.28.7', 'ipvs');
    startKubeProxy({ host: n, version: 'v1.28.7', configText: conf('iptables'), services: SERVICES });
    expect(ping(n, 'iptables', '28').ping.outcome).toBe('rejected');
    n.filter.delete('KUBE-IPVS-FILTER');
    expect(ping(n, 'iptables', '28').ping.outcome).toBe('replied');
  });
});

describe('Services as kube-proxy programs them, and the ownership rule', () => {
  it('IPVS binds ClusterIPs and non-node external IPs to kube-ipvs0; NodePort VS on every node address; a node-address LB IP is a VS, not bound', () => {
    const h = host('v1.28.7', 'ipvs');
    expect([...(h.kubeIpvs0 ?? [])].sort()).toEqual(['10.96.0.1', '10.96.0.10', '10.96.32.0', '203.0.113.10']);
    expect([...h.ipvs.keys()].sort()).toEqual(['TCP 10.0.0.12:30080', 'TCP 10.0.0.12:80', 'TCP 10.244.1.1:30080', 'TCP 10.96.0.1:443',
      'TCP 10.96.0.10:53', 'TCP 10.96.32.0:80', 'TCP 203.0.113.10:80', 'UDP 10.96.0.10:53'].sort());
    expect(h.ipsets.has('KUBE-IPVS-IPS')).toBe(true);
  });

  it('prep counts NodePort and LB VS as Kubernetes\' with IPVS_BOT_SERVICE_VS; keepalived VS (normal and FWM) stay foreign', () => {
    const h = host('v1.28.7', 'ipvs');
    h.addIpvs({ proto: 'TCP', address: '192.168.10.5', port: 80, scheduler: 'wlc' });
    h.addIpvs({ proto: 'FWM', address: '', port: 100, scheduler: 'wlc' });
    const without = job(h, 'prep', 'nftables', {});
    expect(without.foreignIpvsServicesCount).toBe(5);
    const withTokens = job(h, 'prep', 'nftables', { IPVS_BOT_SERVICE_VS: 'TCP:30080 TCP/10.0.0.12:80' });
    expect(withTokens.foreignIpvsServices).toEqual(['TCP 192.168.10.5:80', 'FWM 100']);
    expect(withTokens.foreignIpvsServicesCount).toBe(2);
    expect(job(h, 'prep', 'nftables', { IPVS_BOT_SERVICE_VS: 'TCP:30080 $(reboot)' }).errors).toEqual(['invalid IPVS_BOT_SERVICE_VS token "$(reboot)"']);
  });

  it('cleanup IPVS → iptables deletes NodePort/LB VS by the rule and keeps keepalived\'s; IPv6 VS and tokens are bracketed', () => {
    const h = host('v1.28.7', 'ipvs');
    h.addIpvs({ proto: 'FWM', address: '', port: 100, scheduler: 'wlc' });
    const r = job(h, 'cleanup', 'iptables', { IPVS_BOT_FROM_MODE: 'ipvs', IPVS_BOT_SERVICE_VS: 'TCP:30080 TCP/10.0.0.12:80' });
    expect(r.kept).toEqual({ foreignIpvsServices: 1, foreign: ['FWM 100'] });
    expect([...h.ipvs.keys()]).toEqual(['FWM 100']);
    const v6 = new HostState('n6', '6.1.0-27-amd64', true, ['fd00:10:0:1::b']);
    v6.addIpvs({ proto: 'TCP', address: '2001:db8::10', port: 443, scheduler: 'rr' });
    expect(v6.kubernetesIpvs(undefined)).toEqual([]);
    expect(job(v6, 'prep', 'nftables', { IPVS_BOT_SERVICE_VS: 'TCP/[2001:db8::10]:443' }).foreignIpvsServicesCount).toBe(0);
  });
});

describe("another NetworkPolicy controller's KUBE- state (kube-router)", () => {
  const krIntact = (h: HostState) => {
    for (const c of KUBE_ROUTER.chains) expect(h.filter.has(c), c).toBe(true);
    for (const s of KUBE_ROUTER.ipsets) expect(h.ipsets.has(s), s).toBe(true);
    expect(h.hasRule('filter', 'FORWARD', 'KUBE-ROUTER-FORWARD')).toBe(true);
    expect(h.hasRule('filter', 'KUBE-POD-FW-4IXGDLPTBNAZWQJK', 'KUBE-NWPLCY-3XRJKEWPMJ6FSZUD')).toBe(true);
  };

  it('survives kube-proxy --cleanup and an nftables start; kube-proxy\'s own sets and chains go', () => {
    const h = host('v1.28.7', 'ipvs');
    addKubeRouterState(h);
    kubeProxyCleanup(h);
    krIntact(h);
    expect(h.kubeProxyIpsets()).toEqual([]);
    expect(h.filter.has('KUBE-IPVS-FILTER')).toBe(false);
    expect(h.hasRule('filter', 'INPUT', 'KUBE-IPVS-FILTER')).toBe(false);
    const n = host('v1.33.4', 'ipvs');
    addKubeRouterState(n);
    startKubeProxy({ host: n, version: 'v1.33.4', configText: conf('nftables'), services: SERVICES });
    krIntact(n);
    expect(n.kubeProxyIpsets()).toEqual([]);
  });

  it("the targeted cleanup after IPVS removes only kube-proxy's fixed names and the rules referencing them", () => {
    const h = host('v1.28.7', 'ipvs');
    addKubeRouterState(h);
    startKubeProxy({ host: h, version: 'v1.28.7', configText: conf('iptables'), services: SERVICES });
    const r = job(h, 'cleanup', 'iptables', { IPVS_BOT_FROM_MODE: 'ipvs' });
    expect(r.ok).toBe(true);
    krIntact(h);
    expect(h.kubeProxyIpsets()).toEqual([]);
    expect(r.after).toMatchObject({ kubeIpsets: 0, ipvsModeChains: 0, kubeIpvs0: 0 });
    expect(h.hasRule('filter', 'INPUT', 'KUBE-IPVS-FILTER')).toBe(false);
  });
});

describe('DNS answers (dig semantics) and the metrics bind address', () => {
  const dnsEnv = (name: string, type = 'A') => ({ IPVS_BOT_DNS_NAME: name, IPVS_BOT_DNS_SERVER: '10.96.0.10', IPVS_BOT_DNS_TYPE: type, IPVS_BOT_DNS_EXPECT: '10.96.0.1' });

  it('answers only under the cluster domain: NOERROR with the ClusterIP, NXDOMAIN elsewhere, timeout and SERVFAIL on request', () => {
    const h = host('v1.28.7', 'ipvs');
    const ok = job(h, 'verify', 'ipvs', dnsEnv('kubernetes.default.svc.corp.example'), { clusterDomain: 'corp.example' });
    expect(ok.dns).toEqual({ name: 'kubernetes.default.svc.corp.example', server: '10.96.0.10', type: 'A', ok: true, status: 'NOERROR', answers: ['10.96.0.1'], exit: 0 });
    const nx = job(h, 'verify', 'ipvs', dnsEnv('kubernetes.default.svc.cluster.local'), { clusterDomain: 'corp.example' });
    expect(nx.dns).toMatchObject({ ok: false, status: 'NXDOMAIN', exit: 0, answers: [] });
    expect(nx.errors).toContain('DNS lookup of kubernetes.default.svc.cluster.local failed: NXDOMAIN');
    const down = job(h, 'verify', 'ipvs', dnsEnv('kubernetes.default.svc.cluster.local'), { dnsFailure: 'no-endpoints' });
    expect(down.dns).toMatchObject({ ok: false, status: 'timeout', exit: 9 });
    expect(down.errors).toContain('DNS lookup of kubernetes.default.svc.cluster.local failed: no answer from 10.96.0.10 (timeout)');
    expect(job(h, 'verify', 'ipvs', dnsEnv('kubernetes.default.svc.cluster.local'), { dnsFailure: 'servfail' }).dns.status).toBe('SERVFAIL');
    expect(job(h, 'verify', 'ipvs', dnsEnv('kubernetes.default.svc.cluster.local', 'AAAA')).dns).toMatchObject({ ok: false, status: 'NOERROR', answers: [] });
  });

  it('/proxyMode answers only at metricsBindAddress (default 127.0.0.1:10249; 0.0.0.0 listens on every IPv4 address)', () => {
    const def = host('v1.28.7', 'ipvs');
    expect(job(def, 'verify', 'ipvs', { IPVS_BOT_METRICS_ADDR: '127.0.0.1:10249' }).proxyMode).toBe('ipvs');
    const miss = job(def, 'verify', 'ipvs', { IPVS_BOT_METRICS_ADDR: '10.0.0.12:10249' });
    expect(miss.proxyMode).toBe('');
    expect(miss.errors).toContain('kube-proxy did not answer on 10.0.0.12:10249/proxyMode');
    const all = host('v1.28.7', 'ipvs', 'metricsBindAddress: 0.0.0.0:10249\n');
    expect(job(all, 'verify', 'ipvs', { IPVS_BOT_METRICS_ADDR: '10.0.0.12:10249' }).proxyMode).toBe('ipvs');
    expect(job(all, 'verify', 'ipvs', { IPVS_BOT_METRICS_ADDR: '127.0.0.1:10250' }).proxyMode).toBe('');
  });
});

describe('prep and cleanup details of the contract', () => {
  it('prep reports sysctlsBefore and the nft version gate (≥1.0.1)', () => {
    const h = host('v1.28.7', 'iptables');
    const r = job(h, 'prep', 'nftables', {});
    expect(r.sysctlsBefore).toEqual({ 'net.ipv4.conf.all.arp_ignore': '0', 'net.ipv4.conf.all.arp_announce': '0' });
    expect(r.nftables).toMatchObject({ nftVersion: 'nftables v1.0.6 (Lester Gooch #5)', nftVersionOk: true });
    h.nftVersion = 'nftables v0.9.3 (Topsy)';
    const old = job(h, 'prep', 'nftables', {});
    expect(old.nftables.nftVersionOk).toBe(false);
    expect(old.errors).toContain("nft 0.9.3 is older than 1.0.1, which kube-proxy's nftables mode needs");
  });

  it('cleanup restores the strictARP sysctls it is given, and refuses anything else without applying any', () => {
    const h = host('v1.28.7', 'ipvs', 'ipvs:\n  strictARP: true\n');
    expect(h.sysctls.get('net.ipv4.conf.all.arp_ignore')).toBe('1');
    const bad = job(h, 'cleanup', 'iptables', { IPVS_BOT_FROM_MODE: 'ipvs', IPVS_BOT_RESTORE_SYSCTLS: 'net.ipv4.conf.all.arp_ignore=0 kernel.panic=1' });
    expect(bad.ok).toBe(false);
    expect(h.sysctls.get('net.ipv4.conf.all.arp_ignore')).toBe('1');
    const good = job(h, 'cleanup', 'iptables', { IPVS_BOT_FROM_MODE: 'ipvs', IPVS_BOT_RESTORE_SYSCTLS: 'net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0' });
    expect(good.restoredSysctls).toEqual({ 'net.ipv4.conf.all.arp_ignore': '0', 'net.ipv4.conf.all.arp_announce': '0' });
    expect(h.sysctls.get('net.ipv4.conf.all.arp_announce')).toBe('0');
  });
});
