// The fixed names kube-proxy creates on a host, and upstream's cleanup functions over them. Nothing here removes by
// `KUBE-` prefix: other tools (kube-router's NetworkPolicy controller, also inside k3s: KUBE-SRC-*/KUBE-DST-* sets,
// KUBE-NWPLCY-*/KUBE-POD-FW-*/KUBE-ROUTER-* chains, cloudnativelabs/kube-router pkg/controllers/netpol) share it.
// Sources: k/k pkg/proxy/ipvs/proxier.go (`iptablesJumpChain`, `iptablesCleanupChains`, `ipsetInfo`, `cleanupLeftovers`),
// pkg/proxy/ipvs/ipset.go (names; IPv6 sets are "KUBE-6-…" cut to 31 chars), pkg/proxy/iptables/proxier.go
// (`CleanupLeftovers`, `isServiceChainName`), pkg/proxy/nftables/proxier.go (`CleanupLeftovers`) and
// cmd/kube-proxy/app/server_linux.go (`platformCleanup`).
import type { HostRule, HostState } from './host-state.js';

const IPVS_IPSETS_V4 = ['KUBE-LOOP-BACK', 'KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL', 'KUBE-LOAD-BALANCER',
  'KUBE-LOAD-BALANCER-FW', 'KUBE-LOAD-BALANCER-LOCAL', 'KUBE-LOAD-BALANCER-SOURCE-IP', 'KUBE-LOAD-BALANCER-SOURCE-CIDR',
  'KUBE-NODE-PORT-TCP', 'KUBE-NODE-PORT-LOCAL-TCP', 'KUBE-NODE-PORT-UDP', 'KUBE-NODE-PORT-LOCAL-UDP', 'KUBE-NODE-PORT-SCTP-HASH',
  'KUBE-NODE-PORT-LOCAL-SCTP-HASH', 'KUBE-HEALTH-CHECK-NODE-PORT', 'KUBE-IPVS-IPS'];

/** NewIPSet: "KUBE-" → "KUBE-6-" for the IPv6 proxier, truncated to ipset's 31-character limit. */
export const v6SetName = (name: string) => name.replace(/^KUBE-/, 'KUBE-6-').slice(0, 31);

/** The sets of one family's IPVS proxier (KUBE-IPVS-IPS from 1.26 with KUBE-IPVS-FILTER, k/k PR #108460). */
export function ipvsIpsets(v6: boolean, minor: number): string[] {
  const names = IPVS_IPSETS_V4.filter((n) => n !== 'KUBE-IPVS-IPS' || minor >= 26);
  return v6 ? names.map(v6SetName) : names;
}

let ownSets: Set<string> | undefined;
export function kubeProxyIpsetNames(): Set<string> {
  ownSets ??= new Set([...IPVS_IPSETS_V4, ...IPVS_IPSETS_V4.map(v6SetName)]);
  return ownSets;
}

type Jump = [HostRule['table'], string, string];

/** IPVS proxier's jumps from builtin chains (`iptablesJumpChain`); the OUT filter from 1.29 (k/k PR #119791). */
export function ipvsJumps(minor: number): Jump[] {
  const j: Jump[] = [['nat', 'OUTPUT', 'KUBE-SERVICES'], ['nat', 'PREROUTING', 'KUBE-SERVICES'], ['nat', 'POSTROUTING', 'KUBE-POSTROUTING'],
    ['filter', 'FORWARD', 'KUBE-FORWARD'], ['filter', 'INPUT', 'KUBE-NODE-PORT'], ['filter', 'INPUT', 'KUBE-PROXY-FIREWALL'],
    ['filter', 'FORWARD', 'KUBE-PROXY-FIREWALL']];
  if (minor >= 26) j.push(['filter', 'INPUT', 'KUBE-IPVS-FILTER']);
  if (minor >= 29) j.push(['filter', 'OUTPUT', 'KUBE-IPVS-OUT-FILTER']);
  return j;
}

export const IPVS_NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'];
export const IPVS_FILTER_CHAINS = ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'];

/** iptables proxier's jumps from builtin chains (pkg/proxy/iptables/proxier.go `iptablesJumpChains`). */
export const IPTABLES_JUMPS: Jump[] = [['filter', 'INPUT', 'KUBE-EXTERNAL-SERVICES'], ['filter', 'FORWARD', 'KUBE-EXTERNAL-SERVICES'],
  ['filter', 'INPUT', 'KUBE-NODEPORTS'], ['filter', 'FORWARD', 'KUBE-SERVICES'], ['filter', 'OUTPUT', 'KUBE-SERVICES'],
  ['filter', 'FORWARD', 'KUBE-FORWARD'], ['filter', 'INPUT', 'KUBE-PROXY-FIREWALL'], ['filter', 'OUTPUT', 'KUBE-PROXY-FIREWALL'],
  ['filter', 'FORWARD', 'KUBE-PROXY-FIREWALL'], ['nat', 'OUTPUT', 'KUBE-SERVICES'], ['nat', 'PREROUTING', 'KUBE-SERVICES'],
  ['nat', 'POSTROUTING', 'KUBE-POSTROUTING']];
export const IPTABLES_NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
export const IPTABLES_FILTER_CHAINS = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL'];
/** `isServiceChainName`: the per-Service chains of iptables mode (nat). */
export const SERVICE_CHAIN = /^KUBE-(SVC|SVL|SEP|FW|EXT|XLB)-/;

export function addJumps(h: HostState, jumps: Jump[]): void {
  for (const [table, chain, target] of jumps) h.addRule({ table, chain, target });
}

export interface CleanupCount { chains: number; rules: number; ipsets: number; ipvsServices: number; kubeIpvs0: number; nftTables: number }
const zero = (): CleanupCount => ({ chains: 0, rules: 0, ipsets: 0, ipvsServices: 0, kubeIpvs0: 0, nftTables: 0 });

/** Deletes chains by name from a table, and every rule in them or jumping to them. */
function dropChains(h: HostState, table: 'nat' | 'filter', names: Iterable<string>, c: CleanupCount): void {
  const set = table === 'nat' ? h.nat : h.filter;
  const gone = new Set<string>();
  for (const n of names) if (set.delete(n)) { gone.add(n); c.chains++; }
  for (const n of names) gone.add(n); // jumps to a chain that is already gone are deleted too (DeleteRule by spec)
  c.rules += h.removeRules((r) => r.table === table && (gone.has(r.chain) || gone.has(r.target)));
}

/** iptables.CleanupLeftovers: its jumps, its fixed chains and the per-Service chains. */
export function iptablesCleanupLeftovers(h: HostState, c: CleanupCount = zero()): CleanupCount {
  c.rules += h.removeRules((r) => IPTABLES_JUMPS.some(([t, ch, to]) => r.table === t && r.chain === ch && r.target === to));
  dropChains(h, 'nat', [...IPTABLES_NAT_CHAINS, ...[...h.nat].filter((n) => SERVICE_CHAIN.test(n))], c);
  dropChains(h, 'filter', IPTABLES_FILTER_CHAINS, c);
  return c;
}

/** ipvs.CleanupLeftovers: flushes the WHOLE IPVS table (foreign and FWM virtual servers too), kube-ipvs0, its chains, its sets. */
export function ipvsCleanupLeftovers(h: HostState, c: CleanupCount = zero()): CleanupCount {
  if (h.modprobe('ip_vs')) { c.ipvsServices += h.ipvs.size; h.ipvs.clear(); }
  if (h.kubeIpvs0) { h.kubeIpvs0 = null; c.kubeIpvs0 = 1; }
  c.rules += h.removeRules((r) => ipvsJumps(99).some(([t, ch, to]) => r.table === t && r.chain === ch && r.target === to));
  dropChains(h, 'nat', IPVS_NAT_CHAINS, c);
  dropChains(h, 'filter', IPVS_FILTER_CHAINS, c);
  const own = kubeProxyIpsetNames();
  for (const s of [...h.ipsets]) if (own.has(s)) { h.ipsets.delete(s); c.ipsets++; }
  return c;
}

/** nftables.CleanupLeftovers: `delete table ip kube-proxy` and `ip6 kube-proxy`. */
export function nftablesCleanupLeftovers(h: HostState, c: CleanupCount = zero()): CleanupCount {
  for (const t of ['ip kube-proxy', 'ip6 kube-proxy']) if (h.nftTables.delete(t)) c.nftTables++;
  h.nftClusterIPs = new Set();
  return c;
}

/** platformCleanup(mode, cleanupAndExit): what kube-proxy removes at start (and with --cleanup, everything). */
export function platformCleanup(h: HostState, mode: 'iptables' | 'ipvs' | 'nftables', cleanupAndExit: boolean): CleanupCount {
  const c = zero();
  if (mode === 'nftables' || cleanupAndExit) { iptablesCleanupLeftovers(h, c); ipvsCleanupLeftovers(h, c); }
  if (mode !== 'nftables' || cleanupAndExit) nftablesCleanupLeftovers(h, c);
  return c;
}
