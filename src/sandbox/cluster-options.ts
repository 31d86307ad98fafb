// Options of the simulated kubeadm cluster (what `startSandbox` and `npm run sandbox` accept), parsed once with zod.
import { z } from 'zod';

const NodeRef = z.union([z.string().min(1), z.number().int().nonnegative()]);
const KernelFn = z.custom<(name: string, index: number) => string>((v) => typeof v === 'function');

/** 'kube-vip' is its DaemonSet variant; 'kube-vip-static-pod' a static pod per control-plane node (its mirror pod). */
export const ExtraWorkload = z.enum(['calico-node', 'metallb-speaker', 'kube-vip', 'kube-vip-static-pod', 'flannel', 'cilium']);
export type ExtraWorkload = z.infer<typeof ExtraWorkload>;

/** keepalived/LVS-style virtual server: `proto/address:port`, or `FWM <fwmark>` (keepalived `virtual_server fwmark`). */
export const ForeignIpvsService = z.object({
  node: NodeRef,
  proto: z.enum(['TCP', 'UDP', 'SCTP', 'FWM']).default('TCP'),
  address: z.string().default(''),
  port: z.number().int().min(0).max(65535).default(0),
  fwmark: z.number().int().min(1).optional(),
  scheduler: z.string().default('wlc'),
}).superRefine((v, c) => {
  if (v.proto === 'FWM' && v.fwmark === undefined) c.addIssue({ code: 'custom', message: 'an FWM virtual server needs fwmark' });
  if (v.proto !== 'FWM' && (!v.address || v.port < 1)) c.addIssue({ code: 'custom', message: 'needs address and port (or proto FWM with fwmark)' });
});

const Effect = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
export const Toleration = z.object({
  key: z.string().optional(), operator: z.enum(['Exists', 'Equal']).optional(), value: z.string().optional(),
  effect: Effect.optional(), tolerationSeconds: z.number().int().optional(),
});
export type Toleration = z.infer<typeof Toleration>;

/** A Service as a user (and MetalLB, for status.loadBalancer.ingress) would create it in the sandbox. */
export const ServiceOption = z.object({
  name: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS-1035 label'),
  namespace: z.string().default('default'),
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
  ports: z.array(z.object({
    name: z.string().default(''), port: z.number().int().min(1).max(65535), protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
    nodePort: z.number().int().min(30000).max(32767).optional(), targetPort: z.number().int().min(1).max(65535).optional(),
  })).min(1).default([{ name: '', port: 80, protocol: 'TCP' }]),
  externalIPs: z.array(z.string().min(1)).default([]),
  /** status.loadBalancer.ingress[].ip (what MetalLB or a cloud controller writes) */
  loadBalancerIngress: z.array(z.string().min(1)).default([]),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
});
export type ServiceOption = z.output<typeof ServiceOption>;

export const ClusterOptions = z.object({
  nodes: z.number().int().min(1).max(20_000).default(3),
  kubernetesVersion: z.string().regex(/^v1\.\d{1,2}\.\d{1,3}$/, 'must look like v1.28.7').default('v1.28.7'),
  /** Per node (list, by index; shorter lists repeat their last entry) or a function of (name, index). */
  kernel: z.union([z.string().min(1), z.array(z.string().min(1)).min(1), KernelFn]).optional(),
  osImage: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  runtime: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** The first three nodes get the fixtures' kernels/OS/runtimes (6.1 Debian, 3.10 CentOS 7, 4.18 Rocky 8). */
  mirrorFixtureNodes: z.boolean().default(false),
  /** Nodes (names or indices) whose kernel has no ip_vs* modules at all. */
  nodesWithoutIpvs: z.array(NodeRef).default([]),
  notReady: z.array(NodeRef).default([]),
  controlPlane: z.number().int().min(0).default(1),
  extraWorkloads: z.array(ExtraWorkload).default([]),
  /** Non-Kubernetes IPVS virtual servers (keepalived/LVS) present on a node from the start. */
  foreignIpvsServices: z.array(ForeignIpvsService).default([]),
  /** Extra ClusterIP Services in `default` (each adds IPVS virtual servers / iptables chains on every node). */
  extraServices: z.number().int().min(0).default(0),
  /** Services beyond kubernetes/kube-dns: NodePort, LoadBalancer (ingress as MetalLB sets it), externalIPs, eTP, dual-stack. */
  services: z.array(ServiceOption).default([]),
  /** IPv4 (default), IPv6 (single-stack v6: fd00:10:96::/112), DualStack (IPv4 primary, both families). */
  ipFamilies: z.enum(['IPv4', 'IPv6', 'DualStack']).default('IPv4'),
  /** kubelet-config / CoreDNS zone; the DNS check answers only names under it. */
  clusterDomain: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS domain').default('cluster.local'),
  /** kube-dns broken: no endpoints (queries time out) or CoreDNS answering SERVFAIL. */
  dnsFailure: z.enum(['none', 'no-endpoints', 'servfail']).default('none'),
  /** Nodes carrying kube-router's NetworkPolicy state (KUBE-SRC-/KUBE-DST- sets, KUBE-NWPLCY-/KUBE-POD-FW- chains); true = all. */
  kubeRouterNetworkPolicy: z.union([z.boolean(), z.array(NodeRef)]).default(false),
  /** Windows nodes (kubernetes.io/os=windows, Windows Server 2022): no kube-proxy DaemonSet pod, Linux Job pods never start. */
  windowsNodes: z.array(NodeRef).default([]),
  /** Extra labels per node. */
  nodeLabels: z.array(z.object({ node: NodeRef, labels: z.record(z.string(), z.string()) })).default([]),
  /** Extra taints per node. */
  nodeTaints: z.array(z.object({ node: NodeRef, key: z.string().min(1), value: z.string().optional(), effect: Effect })).default([]),
  /** Added to the kube-proxy DaemonSet's nodeSelector (kubeadm's is kubernetes.io/os: linux). */
  kubeProxyNodeSelector: z.record(z.string(), z.string()).optional(),
  /** Replaces the kube-proxy DaemonSet's tolerations (kubeadm's: operator Exists, i.e. everything). */
  kubeProxyTolerations: z.array(Toleration).optional(),
  /** config.conf metricsBindAddress (kubeadm writes ""; kube-proxy's default is 127.0.0.1:10249). */
  metricsBindAddress: z.string().optional(),
  /** `nft --version` per node (list by index, last repeats); null = nft not installed. Default by OS image. */
  nftVersion: z.union([z.string().min(1), z.null(), z.array(z.union([z.string().min(1), z.null()])).min(1)]).optional(),
  /**
   * kube-proxy's first sync after a start (see kube-proxy-endpoints.ts): `factor` multiplies every node's modelled sync
   * time, `slow` one node's, and a `stuck` node's kube-proxy never finishes a sync (its /healthz turns 503).
   */
  kubeProxySync: z.object({
    factor: z.number().positive().max(10_000).default(1),
    slow: z.array(z.object({ node: NodeRef, factor: z.number().positive().max(10_000) })).default([]),
    stuck: z.array(NodeRef).default([]),
    /** The modes a `stuck` node's kube-proxy is stuck in (default: all; e.g. ['ipvs']: it syncs again after a rollback). */
    stuckModes: z.array(z.enum(['iptables', 'ipvs', 'nftables'])).min(1).default(['iptables', 'ipvs', 'nftables']),
  }).default({ factor: 1, slow: [], stuck: [], stuckModes: ['iptables', 'ipvs', 'nftables'] }),
  /**
   * kube-proxy's iptables-mode packet counters per node (≥1.31, k/k CHANGELOG-1.31 PRs #125015 / #122812):
   * `kubeproxy_iptables_localhost_nodeports_accepted_packets_total` and `..._ct_state_invalid_dropped_packets_total`.
   */
  kubeProxyCounters: z.array(z.object({
    node: NodeRef,
    localhostNodePortPackets: z.number().int().min(0).default(0),
    ctStateInvalidDrops: z.number().int().min(0).default(0),
  })).default([]),
  /** Node names by index (seed-from-facts.ts: a rehearsal's nodes keep the real cluster's names); default k8s-cp-N / k8s-worker-N. */
  nodeNames: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a DNS subdomain')).optional(),
  /** config.conf of kube-system/kube-proxy verbatim (a rehearsal seeds the real cluster's text); default kubeadm's. */
  kubeProxyConfigText: z.string().optional(),
  seed: z.number().int().default(1),
  /** Controller/kubelet step delay in ms (pod create → ContainerCreating → Running, Job run time, …). */
  stepMs: z.number().int().min(0).default(20),
  /** First CrashLoopBackOff delay in ms (doubles per restart, capped at 16×). Real kubelet: 10 s. */
  crashBackoffMs: z.number().int().min(1).default(100),
  /** Delay before a failed Job pod is replaced (real controller: ~10 s). */
  jobBackoffMs: z.number().int().min(0).default(50),
  /** Wall-clock seconds are scaled by this factor for activeDeadlineSeconds / ttlSecondsAfterFinished (1 = real time). */
  timeScale: z.number().positive().max(1).default(1),
});
export type ClusterOptionsInput = z.input<typeof ClusterOptions>;
export type ClusterOptions = z.output<typeof ClusterOptions>;

export interface NodeSpec {
  name: string;
  index: number;
  kernel: string;
  osImage: string;
  runtime: string;
  controlPlane: boolean;
  ipvs: boolean;
  ready: boolean;
  windows: boolean;
  /** InternalIPs, primary family first */
  addresses: string[];
  podCIDRs: string[];
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  nftVersion: string | null;
  /** Multiplies the modelled kube-proxy sync time; null: kube-proxy never syncs (kubeProxySync.stuck). */
  kubeProxySyncFactor: number | null;
  kubeProxyCounters: { localhostNodePortPackets: number; ctStateInvalidDrops: number };
}

const FIXTURE_NODES = [
  { kernel: '6.1.0-27-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)', runtime: 'containerd://1.7.22' },
  { kernel: '3.10.0-1160.el7.x86_64', osImage: 'CentOS Linux 7 (Core)', runtime: 'containerd://1.6.33' },
  { kernel: '4.18.0-513.el8.x86_64', osImage: 'Rocky Linux 8.9 (Green Obsidian)', runtime: 'cri-o://1.28.4' },
];

// A Windows Server 2022 node as its kubelet reports it (nodeInfo.kernelVersion is the OS build, e.g. in
// kubernetes-sigs/sig-windows-tools and AKS node objects).
const WINDOWS = { kernel: '10.0.20348.2227', osImage: 'Windows Server 2022 Datacenter', runtime: 'containerd://1.7.13' };

/** `nft --version` of the fixture distributions' packages (Debian 12 nftables 1.0.6, RHEL 8.9 1.0.4, CentOS 7 0.8). */
export function defaultNft(osImage: string): string | null {
  if (/CentOS Linux 7/.test(osImage)) return 'nftables v0.8 (Joe Btfsplk)';
  if (/(Rocky|Red Hat|AlmaLinux).* 8/.test(osImage)) return 'nftables v1.0.4 (Lester Gooch #3)';
  return 'nftables v1.0.6 (Lester Gooch #5)';
}

/** Families in order, primary first (dual-stack: IPv4 primary, as kubeadm's serviceSubnet "v4,v6"). */
export function familyOrder(f: 'IPv4' | 'IPv6' | 'DualStack'): boolean[] {
  return f === 'IPv4' ? [false] : f === 'IPv6' ? [true] : [false, true];
}

export function nodeIP4(i: number): string {
  return `10.0.${Math.floor(i / 240)}.${(i % 240) + 11}`;
}

/** Canonical (RFC 5952) form, as Go's net.IP prints and the kubelet reports it. */
export function nodeIP6(i: number): string {
  return `fd00:10:0:${(Math.floor(i / 240) + 1).toString(16)}::${((i % 240) + 11).toString(16)}`;
}

export function nodeName(index: number, controlPlane: number): string {
  return index < controlPlane ? `k8s-cp-${index + 1}` : `k8s-worker-${index - controlPlane + 1}`;
}

function pick(v: string | string[] | undefined, i: number, dflt: string): string {
  if (v === undefined) return dflt;
  if (typeof v === 'string') return v;
  return v[Math.min(i, v.length - 1)] ?? dflt;
}

/** Expands the options into one spec per node (names k8s-cp-1…, k8s-worker-1…). */
export function nodeSpecs(o: ClusterOptions): NodeSpec[] {
  const cp = Math.min(o.controlPlane, o.nodes);
  const names: string[] = [];
  for (let i = 0; i < o.nodes; i++) names.push(o.nodeNames?.[i] ?? nodeName(i, cp));
  const resolve = (refs: (string | number)[]) => {
    const s = new Set<string>();
    for (const r of refs) {
      const n = typeof r === 'number' ? names[r] : r;
      if (n === undefined || !names.includes(n)) throw new Error(`unknown node ${JSON.stringify(r)}: the cluster has ${o.nodes} nodes`);
      s.add(n);
    }
    return s;
  };
  const noIpvs = resolve(o.nodesWithoutIpvs);
  const notReady = resolve(o.notReady);
  const windows = resolve(o.windowsNodes);
  const stuck = resolve(o.kubeProxySync.stuck);
  const one = (r: string | number) => [...resolve([r])][0] ?? '';
  return names.map((name, i) => {
    const fx = o.mirrorFixtureNodes ? FIXTURE_NODES[i] : undefined;
    const win = windows.has(name);
    const kernel = win ? WINDOWS.kernel : typeof o.kernel === 'function' ? o.kernel(name, i) : pick(o.kernel, i, fx?.kernel ?? '6.1.0-27-amd64');
    const osImage = win ? WINDOWS.osImage : pick(o.osImage, i, fx?.osImage ?? 'Debian GNU/Linux 12 (bookworm)');
    const labels: Record<string, string> = {};
    for (const l of o.nodeLabels) if (one(l.node) === name) Object.assign(labels, l.labels);
    const taints = o.nodeTaints.filter((t) => one(t.node) === name).map(({ key, value, effect }) => ({ key, ...(value !== undefined ? { value } : {}), effect }));
    const nft = o.nftVersion === undefined ? defaultNft(osImage) : Array.isArray(o.nftVersion) ? (o.nftVersion[Math.min(i, o.nftVersion.length - 1)] ?? null) : o.nftVersion;
    return {
      name, index: i, kernel, osImage,
      runtime: win ? WINDOWS.runtime : pick(o.runtime, i, fx?.runtime ?? 'containerd://1.7.22'),
      controlPlane: i < cp,
      ipvs: !win && !noIpvs.has(name),
      ready: !notReady.has(name),
      windows: win,
      addresses: familyOrder(o.ipFamilies).map((v6) => (v6 ? nodeIP6(i) : nodeIP4(i))),
      podCIDRs: familyOrder(o.ipFamilies).map((v6) => (v6 ? `fd00:10:244:${(i + 1).toString(16)}::/64` : `10.${244 + Math.floor(i / 256)}.${i % 256}.0/24`)),
      labels, taints, nftVersion: win ? null : nft,
      kubeProxySyncFactor: stuck.has(name) ? null
        : o.kubeProxySync.slow.filter((x) => one(x.node) === name).reduce((f, x) => f * x.factor, o.kubeProxySync.factor),
      kubeProxyCounters: o.kubeProxyCounters.filter((c) => one(c.node) === name)
        .reduce((a, c) => ({ localhostNodePortPackets: a.localhostNodePortPackets + c.localhostNodePortPackets, ctStateInvalidDrops: a.ctStateInvalidDrops + c.ctStateInvalidDrops }),
          { localhostNodePortPackets: 0, ctStateInvalidDrops: 0 }),
    };
  });
}

export function parseClusterOptions(input: ClusterOptionsInput | undefined): ClusterOptions {
  const r = ClusterOptions.safeParse(input ?? {});
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new Error(`invalid sandbox options: ${msg}`);
  }
  return r.data;
}

/** Minor version number of "v1.28.7". */
export function minorOf(version: string): number {
  const m = /^v?1\.(\d+)/.exec(version);
  return m ? Number(m[1]) : 0;
}
