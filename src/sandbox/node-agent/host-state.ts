// The simulated host of one node: kernel, modules, sysctls, its own addresses, kube-ipvs0, IPVS table, iptables chains
// and rules, ipsets and nftables tables. It outlives pods (like a real host), so kube-proxy restarts and Jobs see what
// earlier ones left.
import { kubeProxyIpsetNames } from './kube-proxy-names.js';

export type ProxyMode = 'iptables' | 'ipvs' | 'nftables';
export type IpvsProto = 'TCP' | 'UDP' | 'SCTP' | 'FWM';

export interface IpvsService {
  proto: IpvsProto;
  /** '' for a fwmark (FWM) virtual server */
  address: string;
  /** the fwmark for FWM virtual servers */
  port: number;
  scheduler: string;
}

/** A Service port as kube-proxy programs it (one per Service port; every family's ClusterIP). */
export interface ServicePort {
  namespace: string;
  name: string;
  portName: string;
  /** Primary-family ClusterIP */
  clusterIP: string;
  /** All ClusterIPs (spec.clusterIPs); defaults to [clusterIP] */
  clusterIPs?: string[];
  port: number;
  proto: 'TCP' | 'UDP' | 'SCTP';
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  nodePort?: number;
  externalIPs?: string[];
  /** status.loadBalancer.ingress[].ip */
  loadBalancerIPs?: string[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
}

/** One iptables rule: `-A <chain> ... -j <target>` in a table, optionally matching ipsets (`-m set --match-set`). */
export interface HostRule {
  table: 'nat' | 'filter' | 'mangle';
  chain: string;
  target: string;
  sets?: string[];
}

export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_lblcr',
  'ip_vs_dh', 'ip_vs_sed', 'ip_vs_nq', 'ip_vs_mh', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_twos'];

export function kernelAtLeast(kernel: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  if (!m) return false;
  const a = Number(m[1]), b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}

export const isV6 = (address: string) => address.includes(':');

export type PingOutcome = 'replied' | 'rejected' | 'no-answer';

/** One kube-proxy process on the host: when it started, when its first sync ended (null: never), its mode. */
export interface KubeProxyRun {
  mode: ProxyMode;
  minor: number;
  startedAtMs: number;
  firstSyncAtMs: number | null;
  /** Duration of one full sync in ms. */
  syncMs: number;
  /** Rules it owns per iptables table (iptables mode), for kubeproxy_sync_proxy_rules_iptables_total. */
  iptablesRules: { filter: number; nat: number };
}

export class HostState {
  readonly available = new Set<string>();
  readonly loaded = new Set<string>();
  /** /etc/modules-load.d/<file> → module names */
  readonly persistedModules = new Map<string, string[]>();
  readonly sysctls = new Map<string, string>();
  /** /etc/sysctl.d/<file> → "key = value" lines */
  readonly sysctlFiles = new Map<string, string[]>();
  /** The host's own interface addresses (eth0's InternalIPs, cni0 …), never kube-ipvs0's. */
  readonly addresses = new Set<string>();
  /** Addresses on kube-ipvs0, or null when the interface does not exist. */
  kubeIpvs0: Set<string> | null = null;
  /** key "TCP 10.96.0.1:443", "TCP [fd00:10:96::1]:443", "FWM 100" */
  readonly ipvs = new Map<string, IpvsService>();
  readonly nat = new Set<string>();
  readonly filter = new Set<string>();
  /** Rules in chains (builtin ones included), e.g. filter INPUT → KUBE-IPVS-FILTER. */
  readonly rules: HostRule[] = [];
  readonly ipsets = new Set<string>();
  readonly nftTables = new Set<string>();
  /** nftables mode ≥1.30's `cluster-ips` set (k/k PR #122692): ClusterIPs whose unknown ports (and ICMP) are rejected. */
  nftClusterIPs = new Set<string>();
  /** `nft --version` output; null when nft is not installed. */
  nftVersion: string | null = 'nftables v1.0.6 (Lester Gooch #5)';
  /** What the running kube-proxy serves on metricsBind/proxyMode ('' when none runs). */
  proxyMode: ProxyMode | '' = '';
  /** kube-proxy's metricsBindAddress (config.conf; default 127.0.0.1:10249). */
  metricsBind = '127.0.0.1:10249';
  /** kube-proxy's healthzBindAddress (config.conf; v1alpha1 default 0.0.0.0:10256). */
  healthzBind = '0.0.0.0:10256';
  /** The running kube-proxy's sync timeline (kube-proxy-endpoints.ts); null when none started yet. */
  kubeProxyRun: KubeProxyRun | null = null;
  /** Multiplies the modelled sync time; null: kube-proxy never finishes a sync (sandbox option kubeProxySync). */
  kubeProxySyncFactor: number | null = 1;
  /** The modes in which a kube-proxy with kubeProxySyncFactor null never syncs. */
  kubeProxyStuckModes: ReadonlySet<ProxyMode> = new Set<ProxyMode>(['iptables', 'ipvs', 'nftables']);
  /** iptables-mode packet counters kube-proxy ≥1.31 exports (sandbox option kubeProxyCounters). */
  kubeProxyCounters = { localhostNodePortPackets: 0, ctStateInvalidDrops: 0 };
  /** The sandbox's timeScale (kube-proxy's healthTimeout is scaled like Job deadlines). */
  timeScale = 1;

  constructor(readonly node: string, public kernel: string, readonly ipvsCapable: boolean, addresses: string[] = []) {
    for (const m of ['nf_conntrack', 'br_netfilter', 'nf_tables', 'overlay', 'ip_tables', 'iptable_nat', 'xt_conntrack']) this.available.add(m);
    // nf_conntrack_ipv4 was merged into nf_conntrack in 4.19; RHEL 8's 4.18 carries that merge as a backport.
    if (!kernelAtLeast(kernel, 4, 19) && !/\.el8/.test(kernel)) this.available.add('nf_conntrack_ipv4');
    if (ipvsCapable) for (const m of IPVS_MODULES) this.available.add(m);
    for (const m of ['nf_conntrack', 'br_netfilter', 'overlay', 'ip_tables', 'iptable_nat', 'xt_conntrack']) this.loaded.add(m);
    this.sysctls.set('net.ipv4.ip_forward', '1');
    this.sysctls.set('net.bridge.bridge-nf-call-iptables', '1');
    // kernel defaults (Documentation/networking/ip-sysctl.rst): arp_ignore 0, arp_announce 0
    this.sysctls.set('net.ipv4.conf.all.arp_ignore', '0');
    this.sysctls.set('net.ipv4.conf.all.arp_announce', '0');
    for (const a of addresses) this.addresses.add(a);
  }

  /** modprobe: true when the module is (now) loaded. */
  modprobe(name: string): boolean {
    if (!this.available.has(name)) return false;
    this.loaded.add(name);
    return true;
  }

  /** What kube-proxy ≥1.27's probe does: add and delete a dummy virtual server with the scheduler. */
  canUseIpvs(scheduler: string): boolean {
    return this.modprobe('ip_vs') && this.modprobe(`ip_vs_${scheduler}`);
  }

  ipvsKey(s: { proto: string; address: string; port: number }): string {
    if (s.proto === 'FWM') return `FWM ${s.port}`;
    return `${s.proto} ${isV6(s.address) ? `[${s.address}]` : s.address}:${s.port}`;
  }

  addIpvs(s: IpvsService): void { this.ipvs.set(this.ipvsKey(s), s); }

  /** Is this address local to the host (any interface but kube-ipvs0)? */
  isLocalAddress(address: string): boolean {
    return this.addresses.has(address) || address === '127.0.0.1' || address === '::1';
  }

  /**
   * Kubernetes' virtual servers by the node-Job contract's ownership rule: on kube-ipvs0, or a `PROTO:port` NodePort
   * token at a local address, or a `PROTO/addr:port` external/LB token. FWM virtual servers are never Kubernetes'.
   * Without tokens only the kube-ipvs0 part applies (what a bot without IPVS_BOT_SERVICE_VS can tell).
   */
  isKubernetesIpvs(s: IpvsService, tokens?: ServiceVsTokens): boolean {
    if (s.proto === 'FWM') return false;
    if (this.kubeIpvs0?.has(s.address)) return true;
    if (!tokens) return false;
    if (tokens.nodePorts.has(`${s.proto}:${s.port}`) && this.isLocalAddress(s.address)) return true;
    return tokens.addressed.has(`${s.proto}/${isV6(s.address) ? `[${s.address}]` : s.address}:${s.port}`);
  }

  kubernetesIpvs(tokens?: ServiceVsTokens): IpvsService[] {
    return [...this.ipvs.values()].filter((s) => this.isKubernetesIpvs(s, tokens));
  }

  foreignIpvs(tokens?: ServiceVsTokens): IpvsService[] {
    return [...this.ipvs.values()].filter((s) => !this.isKubernetesIpvs(s, tokens));
  }

  hasRule(table: HostRule['table'], chain: string, target: string): boolean {
    return this.rules.some((r) => r.table === table && r.chain === chain && r.target === target);
  }

  addRule(r: HostRule): void {
    if (!this.rules.some((x) => x.table === r.table && x.chain === r.chain && x.target === r.target && (x.sets ?? []).join() === (r.sets ?? []).join())) this.rules.push(r);
  }

  /** Deletes rules matching the predicate; returns how many. */
  removeRules(pred: (r: HostRule) => boolean, dry = false): number {
    let n = 0;
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i];
      if (r && pred(r)) { if (!dry) this.rules.splice(i, 1); n++; }
    }
    return n;
  }

  /**
   * What `ping <address>` from the host gets (domain §5). A kube-ipvs0 address is local, so the kernel answers unless
   * KUBE-IPVS-FILTER (≥1.26, k/k PR #108460) REJECTs NEW packets to KUBE-IPVS-IPS members — that filter stays as long
   * as its chain, the INPUT jump and the set are there, also after leaving IPVS mode. nftables mode ≥1.30 rejects
   * everything to an active ClusterIP but its service ports (cluster-ips-check, k/k PR #122692). Otherwise nobody
   * owns the address: iptables mode DNATs only tcp/udp/sctp to a port, so the echo is routed away unanswered.
   */
  pingOutcome(address: string): PingOutcome {
    if (this.kubeIpvs0?.has(address)) {
      const filtered = this.filter.has('KUBE-IPVS-FILTER') && this.hasRule('filter', 'INPUT', 'KUBE-IPVS-FILTER')
        && this.ipsets.has(isV6(address) ? 'KUBE-6-IPVS-IPS' : 'KUBE-IPVS-IPS');
      return filtered ? 'rejected' : 'replied';
    }
    if (this.isLocalAddress(address)) return 'replied';
    const table = isV6(address) ? 'ip6 kube-proxy' : 'ip kube-proxy';
    if (this.nftTables.has(table) && this.nftClusterIPs.has(address)) return 'rejected';
    return 'no-answer';
  }

  /** Back-compat: does a ping get replies at all? */
  answersPing(address: string): boolean {
    return this.pingOutcome(address) === 'replied';
  }

  /** Is `host:port` (as the bot passes IPVS_BOT_METRICS_ADDR) served by kube-proxy's metrics listener? */
  metricsReachable(hostPort: string): boolean {
    return this.listensOn(this.metricsBind, hostPort);
  }

  /** Does a server of this host bound to `bindAddress` answer on `hostPort` from the host itself (Go's net.Listen)? */
  listensOn(bindAddress: string, hostPort: string): boolean {
    const want = splitHostPort(hostPort);
    const bind = splitHostPort(bindAddress);
    if (!want || !bind || want.port !== bind.port) return false;
    const local = want.host === '127.0.0.1' || want.host === '::1' || want.host === 'localhost' || this.isLocalAddress(want.host);
    if (!local) return false;
    // Go's net.Listen on "[::]" (or ":p") takes both families; "0.0.0.0" only IPv4.
    if (bind.host === '' || bind.host === '::') return true;
    if (bind.host === '0.0.0.0') return !isV6(want.host);
    return bind.host === want.host || (bind.host === '127.0.0.1' && want.host === 'localhost');
  }

  /** kube-proxy's own ipsets present on this host (fixed names, both families). */
  kubeProxyIpsets(): string[] {
    const own = kubeProxyIpsetNames();
    return [...this.ipsets].filter((s) => own.has(s)).sort();
  }
}

export function splitHostPort(s: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  if (!m) return null;
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

/** Parsed IPVS_BOT_SERVICE_VS (contract): `PROTO:port` NodePorts and `PROTO/addr:port` external/LB addresses. */
export interface ServiceVsTokens { nodePorts: Set<string>; addressed: Set<string> }

/** Parses IPVS_BOT_SERVICE_VS; returns the token that is not valid as a string. */
export function parseServiceVs(text: string): ServiceVsTokens | string {
  const out: ServiceVsTokens = { nodePorts: new Set(), addressed: new Set() };
  for (const tok of text.split(/\s+/).filter(Boolean)) {
    const np = /^(TCP|UDP|SCTP):(\d{1,5})$/.exec(tok);
    if (np && Number(np[2]) <= 65535) { out.nodePorts.add(tok); continue; }
    const ad = /^(TCP|UDP|SCTP)\/(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(tok);
    if (ad && Number(ad[3]) <= 65535) { out.addressed.add(`${ad[1]}/${(ad[2] ?? '').toLowerCase()}:${ad[3]}`); continue; }
    return tok;
  }
  return out;
}

/** Chains that only kube-proxy's iptables mode owns (same patterns as the bot's node scripts). */
export const IPTABLES_ONLY_NAT = /^(KUBE-(SVC|SEP|EXT|SVL|FW|XLB)-[A-Z0-9]+|KUBE-NODEPORTS)$/;
export const IPTABLES_ONLY_FILTER = /^(KUBE-SERVICES|KUBE-EXTERNAL-SERVICES|KUBE-NODEPORTS)$/;
export const IPVS_ONLY_NAT = /^(KUBE-NODE-PORT|KUBE-LOAD-BALANCER)$/;
export const IPVS_ONLY_FILTER = /^(KUBE-NODE-PORT|KUBE-IPVS-FILTER|KUBE-IPVS-OUT-FILTER|KUBE-SOURCE-RANGES-FIREWALL)$/;

export function countMatching(set: Set<string>, re: RegExp): number {
  let n = 0;
  for (const c of set) if (re.test(c)) n++;
  return n;
}

export function removeMatching(set: Set<string>, re: RegExp): number {
  let n = 0;
  for (const c of [...set]) if (re.test(c)) { set.delete(c); n++; }
  return n;
}
