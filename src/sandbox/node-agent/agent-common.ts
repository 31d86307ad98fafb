// What the node agent's phases share: the Job's env, the Kubernetes-side context, the ownership rule's tokens and the
// leftover counts (same fields as the node scripts' `leftovers` object).
import { type HostState, type ServicePort, type ServiceVsTokens, IPTABLES_ONLY_FILTER, IPTABLES_ONLY_NAT, IPVS_ONLY_FILTER, IPVS_ONLY_NAT, countMatching, isV6, parseServiceVs } from './host-state.js';

export interface AgentContext {
  services: ServicePort[];
  /** kube-proxy's next sync after `kube-proxy --cleanup` flushed its rules. */
  resync?: () => void;
  /** The zone CoreDNS serves (its Corefile's `kubernetes <zone>`); default cluster.local. */
  clusterDomain?: string;
  /** kube-dns failure mode: no endpoints (queries time out) or SERVFAIL answers. */
  dnsFailure?: 'none' | 'no-endpoints' | 'servfail';
  /** When the Job's container started (settle reports how long it waited). */
  jobStartedAtMs?: number;
}

export interface Phase {
  h: HostState;
  env: Map<string, string>;
  target: string;
  ctx: AgentContext;
  r: Record<string, unknown>;
  errors: string[];
  warnings: string[];
  /** IPVS_BOT_SERVICE_VS parsed (undefined when not set) */
  tokens?: ServiceVsTokens;
  /** IPVS_BOT_KUBE_PROXY_MINOR (null = unknown) */
  minor: number | null;
}

export const MODES = ['ipvs', 'iptables', 'nftables'];

/** Reads the contract's shared env; pushes an error (and returns false) for a value the scripts would refuse. */
export function readCommonEnv(env: Map<string, string>, errors: string[]): { tokens?: ServiceVsTokens; minor: number | null } | null {
  const minorText = env.get('IPVS_BOT_KUBE_PROXY_MINOR') ?? '';
  if (minorText !== '' && !/^\d{1,3}$/.test(minorText)) { errors.push(`invalid IPVS_BOT_KUBE_PROXY_MINOR ${JSON.stringify(minorText)}: expected digits`); return null; }
  const vsText = env.get('IPVS_BOT_SERVICE_VS');
  let tokens: ServiceVsTokens | undefined;
  if (vsText !== undefined) {
    if (vsText.length > 100_000) { errors.push('IPVS_BOT_SERVICE_VS is larger than 100 KB'); return null; }
    const t = parseServiceVs(vsText);
    if (typeof t === 'string') { errors.push(`invalid IPVS_BOT_SERVICE_VS token ${JSON.stringify(t.slice(0, 80))}`); return null; }
    tokens = t;
  }
  return { tokens, minor: minorText === '' ? null : Number(minorText) };
}

export const vsText = (s: { proto: string; address: string; port: number }) =>
  (s.proto === 'FWM' ? `FWM ${s.port}` : `${s.proto} ${isV6(s.address) ? `[${s.address}]` : s.address}:${s.port}`);

/** "ip kube-proxy" / "ip6 kube-proxy": the nftables mode's tables (domain §6.6). */
export function kubeProxyNftTables(h: HostState): string[] {
  return [...h.nftTables].filter((t) => /^(ip|ip6|inet) kube-proxy$/.test(t)).sort();
}

export function leftovers(h: HostState, tokens?: ServiceVsTokens) {
  return {
    iptablesModeChains: countMatching(h.nat, IPTABLES_ONLY_NAT) + countMatching(h.filter, IPTABLES_ONLY_FILTER),
    ipvsModeChains: countMatching(h.nat, IPVS_ONLY_NAT) + countMatching(h.filter, IPVS_ONLY_FILTER),
    kubeIpvs0: h.kubeIpvs0 ? 1 : 0,
    kubernetesIpvsServices: h.kubernetesIpvs(tokens).length,
    kubeIpsets: h.kubeProxyIpsets().length,
    kubeProxyNftTables: kubeProxyNftTables(h).length,
  };
}
