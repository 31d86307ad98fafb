// What the node Jobs are told about the cluster (pure): the Services the verify Job checks, the cluster's DNS name,
// where kube-proxy serves /proxyMode, and which IPVS virtual servers not bound to kube-ipvs0 are Kubernetes' own.
import type { ServiceInfo } from '../../k8s/cluster.js';
import type { VerifyTargets } from './deps.js';
import { servicePortCount } from './facts.js';

const isV6 = (ip: string) => ip.includes(':');
/** host:port, with IPv6 addresses in brackets (RFC 3986 authority form; `10.96.0.1:443`, `[fd00::1]:443`). */
export function hostPort(ip: string, port: number): string {
  return isV6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Where the verify Job reads /proxyMode: kube-proxy's metricsBindAddress (default 127.0.0.1:10249, domain §4.2).
 * A wildcard bind is reached on loopback of the same family.
 */
export function metricsAddressOf(metricsBindAddress: string): string {
  const m = /^(\[[0-9A-Fa-f:.]*\]|[0-9A-Za-z.-]*):(\d{1,5})$/.exec(metricsBindAddress.trim());
  if (!m) return '127.0.0.1:10249';
  const host = m[1]!;
  if (host === '' || host === '0.0.0.0') return `127.0.0.1:${m[2]}`;
  if (host === '[::]') return `[::1]:${m[2]}`;
  return `${host}:${m[2]}`;
}

export function verifyTargetsOf(services: readonly ServiceInfo[], clusterDomain: string, metricsBindAddress: string): VerifyTargets {
  const kubernetes = services.find((s) => s.namespace === 'default' && s.name === 'kubernetes');
  const dns = services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns');
  // The primary family decides: spec.clusterIP is clusterIPs[0] (an IPv6-primary cluster answers AAAA).
  const apiIP = kubernetes?.clusterIP;
  const apiPort = kubernetes?.ports.find((p) => p.protocol === 'TCP')?.port ?? 443;
  return {
    servicePorts: servicePortCount(services),
    ...(apiIP ? { tcpTarget: hostPort(apiIP, apiPort), pingTarget: apiIP, dnsExpect: apiIP } : {}),
    ...(dns?.clusterIP ? { dnsServer: dns.clusterIP } : {}),
    dnsName: `kubernetes.default.svc.${clusterDomain}`,
    dnsType: apiIP && isV6(apiIP) ? 'AAAA' : 'A',
    metricsAddress: metricsAddressOf(metricsBindAddress),
  };
}

/** The env contract's limit for IPVS_BOT_SERVICE_VS (node-jobs.ts), with room to spare. */
const SERVICE_VS_MAX_BYTES = 90_000;

/**
 * IPVS virtual servers of Kubernetes that kube-proxy does not bind to kube-ipvs0 (pkg/proxy/ipvs/proxier.go
 * syncProxyRules: NodePort VS on the node's addresses and external/LB IPs that are node addresses have
 * bindAddr=false): `TCP:30080` for a NodePort (any local address), `TCP/203.0.113.10:80` for an externalIP or a
 * LoadBalancer ingress IP. `truncated` when the list would exceed the Job env's limit.
 */
export function serviceVsTokens(services: readonly ServiceInfo[]): { tokens: string[]; truncated: boolean } {
  const set = new Set<string>();
  for (const s of services) {
    for (const p of s.ports) {
      const proto = p.protocol.toUpperCase();
      if (!['TCP', 'UDP', 'SCTP'].includes(proto)) continue;
      if (p.nodePort) set.add(`${proto}:${p.nodePort}`);
      for (const ip of [...(s.externalIPs ?? []), ...(s.loadBalancerIPs ?? [])]) set.add(`${proto}/${hostPort(ip, p.port)}`);
    }
  }
  const tokens: string[] = [];
  let bytes = 0;
  // NodePorts first: they are on every node; a truncated list loses external addresses, not NodePorts.
  for (const t of [...set].sort((a, b) => Number(a.includes('/')) - Number(b.includes('/')) || a.localeCompare(b))) {
    if (bytes + t.length + 1 > SERVICE_VS_MAX_BYTES) return { tokens, truncated: true };
    tokens.push(t);
    bytes += t.length + 1;
  }
  return { tokens, truncated: false };
}
