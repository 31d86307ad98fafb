// A kube-proxy mode's first sync on a simulated host: which chains, jumps, ipsets, kube-ipvs0 addresses, virtual
// servers and nftables tables that mode and version create, per IP family, for the Services as it sees them.
// Sources: k/k pkg/proxy/ipvs/proxier.go `syncProxyRules` (ClusterIPs bound to kube-ipvs0; externalIPs/LB ingress
// bound unless they are node addresses, `shouldBind := !nodeAddressSet.Has(...)`; NodePort VS on every local address
// but kube-ipvs0's, `GetAllLocalAddressesExcept(defaultDummyDevice)` with `bindAddr=false`), pkg/proxy/iptables/proxier.go,
// pkg/proxy/nftables/proxier.go (cluster-ips set, ≥1.30 via k/k PR #122692) and server_linux.go `platformCleanup`.
import { createHash } from 'node:crypto';
import { type HostState, type ProxyMode, type ServicePort, isV6, kernelAtLeast } from './node-agent/host-state.js';
import { IPTABLES_JUMPS, addJumps, ipvsIpsets, ipvsJumps, platformCleanup } from './node-agent/kube-proxy-names.js';

/** Chain-name hash like kube-proxy's (base32 of sha256, 16 chars). */
function chainHash(s: string): string {
  return createHash('sha256').update(s).digest('base64').replace(/[^A-Z0-9]/gi, '').toUpperCase().slice(0, 16);
}

const ipsOf = (p: ServicePort) => (p.clusterIPs?.length ? p.clusterIPs : [p.clusterIP]);

/** Families the proxier runs for: the node's address families (a dual-stack node runs both, MetaProxier). */
function families(host: HostState, services: ServicePort[]): Set<boolean> {
  const f = new Set<boolean>();
  for (const a of host.addresses) f.add(isV6(a));
  if (f.size === 0) for (const p of services) for (const ip of ipsOf(p)) f.add(isV6(ip));
  if (f.size === 0) f.add(false);
  return f;
}

/** Host changes of one mode's first sync. iptables and IPVS never remove each other's leftovers (domain §6.6). */
export function program(host: HostState, mode: ProxyMode, scheduler: string, strictARP: boolean, services: ServicePort[], minor = 28): void {
  host.proxyMode = mode;
  platformCleanup(host, mode, false);
  if (mode === 'nftables') {
    host.nftTables.add('ip kube-proxy');
    host.nftTables.add('ip6 kube-proxy');
    host.modprobe('nf_tables');
    host.nftClusterIPs = new Set(minor >= 30 ? services.flatMap(ipsOf) : []);
    return;
  }
  for (const c of ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) host.nat.add(c);
  for (const c of ['KUBE-FORWARD', 'KUBE-PROXY-FIREWALL']) host.filter.add(c);
  if (mode === 'iptables') programIptables(host, services);
  else programIpvs(host, scheduler, strictARP, services, minor);
}

function programIptables(host: HostState, services: ServicePort[]): void {
  host.nat.add('KUBE-NODEPORTS');
  for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS']) host.filter.add(c);
  addJumps(host, IPTABLES_JUMPS);
  for (const p of services) {
    const id = `${p.namespace}/${p.name}:${p.portName}`;
    for (const ip of ipsOf(p)) {
      const fam = isV6(ip) ? '6' : '4';
      host.nat.add(`KUBE-SVC-${chainHash(id + p.proto + fam)}`);
      host.nat.add(`KUBE-SEP-${chainHash(id + p.proto + fam + 'ep')}`);
      if (p.nodePort || p.externalIPs?.length || p.loadBalancerIPs?.length) host.nat.add(`KUBE-EXT-${chainHash(id + p.proto + fam)}`);
      if (p.externalTrafficPolicy === 'Local' && (p.nodePort || p.loadBalancerIPs?.length)) host.nat.add(`KUBE-SVL-${chainHash(id + p.proto + fam)}`);
    }
  }
}

function programIpvs(host: HostState, scheduler: string, strictARP: boolean, services: ServicePort[], minor: number): void {
  for (const c of ['KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER']) host.nat.add(c);
  for (const c of ['KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL']) host.filter.add(c);
  if (minor >= 26) host.filter.add('KUBE-IPVS-FILTER');
  if (minor >= 29) host.filter.add('KUBE-IPVS-OUT-FILTER');
  addJumps(host, ipvsJumps(minor));
  const fams = families(host, services);
  for (const v6 of fams) for (const s of ipvsIpsets(v6, minor)) host.ipsets.add(s);
  host.kubeIpvs0 ??= new Set();
  const vs = (proto: ServicePort['proto'], address: string, port: number) => host.addIpvs({ proto, address, port, scheduler });
  const nodeAddrs = [...host.addresses];
  for (const p of services) {
    for (const ip of ipsOf(p)) {
      const v6 = isV6(ip);
      if (!fams.has(v6)) continue;
      host.kubeIpvs0.add(ip);
      vs(p.proto, ip, p.port);
      for (const ext of [...(p.externalIPs ?? []), ...(p.loadBalancerIPs ?? [])]) {
        if (isV6(ext) !== v6) continue;
        if (!host.isLocalAddress(ext)) host.kubeIpvs0.add(ext);
        vs(p.proto, ext, p.port);
      }
      if (p.nodePort) for (const a of nodeAddrs) if (isV6(a) === v6) vs(p.proto, a, p.nodePort);
    }
  }
  for (const [k, v] of [['net.ipv4.vs.conntrack', '1'], ['net.ipv4.vs.expire_nodest_conn', '1'], ['net.ipv4.vs.expire_quiescent_template', '1'], ['net.ipv4.ip_forward', '1']] as const) host.sysctls.set(k, v);
  if (kernelAtLeast(host.kernel, 4, 1) && !kernelAtLeast(host.kernel, 5, 9)) host.sysctls.set('net.ipv4.vs.conn_reuse_mode', '0');
  if (strictARP) { host.sysctls.set('net.ipv4.conf.all.arp_ignore', '1'); host.sysctls.set('net.ipv4.conf.all.arp_announce', '2'); }
}
