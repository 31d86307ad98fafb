// The simulated host of one node: kernel, modules, sysctls, kube-ipvs0, IPVS table, iptables chains, ipsets and
// nftables tables. It outlives pods (like a real host), so kube-proxy restarts and Jobs see what earlier ones left.

export type ProxyMode = 'iptables' | 'ipvs' | 'nftables';

export interface IpvsService {
  proto: 'TCP' | 'UDP';
  address: string;
  port: number;
  scheduler: string;
}

/** A Service port as kube-proxy programs it. */
export interface ServicePort {
  namespace: string;
  name: string;
  portName: string;
  clusterIP: string;
  port: number;
  proto: 'TCP' | 'UDP';
}

export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_lblcr',
  'ip_vs_dh', 'ip_vs_sed', 'ip_vs_nq', 'ip_vs_mh', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_twos'];

export function kernelAtLeast(kernel: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernel);
  if (!m) return false;
  const a = Number(m[1]), b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}

export class HostState {
  readonly available = new Set<string>();
  readonly loaded = new Set<string>();
  /** /etc/modules-load.d/<file> → module names */
  readonly persistedModules = new Map<string, string[]>();
  readonly sysctls = new Map<string, string>();
  /** /etc/sysctl.d/<file> → "key = value" lines */
  readonly sysctlFiles = new Map<string, string[]>();
  /** Addresses on kube-ipvs0, or null when the interface does not exist. */
  kubeIpvs0: Set<string> | null = null;
  /** key "TCP 10.96.0.1:443" */
  readonly ipvs = new Map<string, IpvsService>();
  readonly nat = new Set<string>();
  readonly filter = new Set<string>();
  readonly ipsets = new Set<string>();
  readonly nftTables = new Set<string>();
  /** What the running kube-proxy serves on 127.0.0.1:10249/proxyMode ('' when none runs). */
  proxyMode: ProxyMode | '' = '';

  constructor(readonly node: string, public kernel: string, readonly ipvsCapable: boolean) {
    for (const m of ['nf_conntrack', 'br_netfilter', 'nf_tables', 'overlay', 'ip_tables', 'iptable_nat', 'xt_conntrack']) this.available.add(m);
    // nf_conntrack_ipv4 was merged into nf_conntrack in 4.19; RHEL 8's 4.18 carries that merge as a backport.
    if (!kernelAtLeast(kernel, 4, 19) && !/\.el8/.test(kernel)) this.available.add('nf_conntrack_ipv4');
    if (ipvsCapable) for (const m of IPVS_MODULES) this.available.add(m);
    for (const m of ['nf_conntrack', 'br_netfilter', 'overlay', 'ip_tables', 'iptable_nat', 'xt_conntrack']) this.loaded.add(m);
    this.sysctls.set('net.ipv4.ip_forward', '1');
    this.sysctls.set('net.bridge.bridge-nf-call-iptables', '1');
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
    return `${s.proto} ${s.address}:${s.port}`;
  }

  addIpvs(s: IpvsService): void { this.ipvs.set(this.ipvsKey(s), s); }

  /** Virtual servers whose address is on kube-ipvs0, i.e. the ones Kubernetes created. */
  kubernetesIpvs(): IpvsService[] {
    const on = this.kubeIpvs0;
    return [...this.ipvs.values()].filter((s) => on?.has(s.address) ?? false);
  }

  foreignIpvs(): IpvsService[] {
    const on = this.kubeIpvs0;
    return [...this.ipvs.values()].filter((s) => !(on?.has(s.address) ?? false));
  }

  /** Does a ping to this address get replies from the node itself? Only when it is a local address (domain §5). */
  answersPing(address: string): boolean {
    return this.kubeIpvs0?.has(address) ?? false;
  }
}

/** Chains that only kube-proxy's iptables mode owns (same patterns as the bot's node scripts). */
export const IPTABLES_ONLY_NAT = /^(KUBE-(SVC|SEP|EXT|SVL|FW|XLB)-[A-Z0-9]+|KUBE-NODEPORTS)$/;
export const IPTABLES_ONLY_FILTER = /^(KUBE-SERVICES|KUBE-EXTERNAL-SERVICES|KUBE-NODEPORTS)$/;
export const IPVS_ONLY_NAT = /^(KUBE-NODE-PORT|KUBE-LOAD-BALANCER)$/;
export const IPVS_ONLY_FILTER = /^(KUBE-NODE-PORT|KUBE-IPVS-FILTER|KUBE-IPVS-OUT-FILTER)$/;

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
