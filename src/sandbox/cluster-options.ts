// Options of the simulated kubeadm cluster (what `startSandbox` and `npm run sandbox` accept), parsed once with zod.
import { z } from 'zod';

const NodeRef = z.union([z.string().min(1), z.number().int().nonnegative()]);
const KernelFn = z.custom<(name: string, index: number) => string>((v) => typeof v === 'function');

export const ExtraWorkload = z.enum(['calico-node', 'metallb-speaker', 'kube-vip', 'flannel', 'cilium']);
export type ExtraWorkload = z.infer<typeof ExtraWorkload>;

export const ForeignIpvsService = z.object({
  node: NodeRef,
  proto: z.enum(['TCP', 'UDP']).default('TCP'),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  scheduler: z.string().default('wlc'),
});

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
}

const FIXTURE_NODES = [
  { kernel: '6.1.0-27-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)', runtime: 'containerd://1.7.22' },
  { kernel: '3.10.0-1160.el7.x86_64', osImage: 'CentOS Linux 7 (Core)', runtime: 'containerd://1.6.33' },
  { kernel: '4.18.0-513.el8.x86_64', osImage: 'Rocky Linux 8.9 (Green Obsidian)', runtime: 'cri-o://1.28.4' },
];

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
  for (let i = 0; i < o.nodes; i++) names.push(nodeName(i, cp));
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
  return names.map((name, i) => {
    const fx = o.mirrorFixtureNodes ? FIXTURE_NODES[i] : undefined;
    const kernel = typeof o.kernel === 'function' ? o.kernel(name, i) : pick(o.kernel, i, fx?.kernel ?? '6.1.0-27-amd64');
    return {
      name, index: i, kernel,
      osImage: pick(o.osImage, i, fx?.osImage ?? 'Debian GNU/Linux 12 (bookworm)'),
      runtime: pick(o.runtime, i, fx?.runtime ?? 'containerd://1.7.22'),
      controlPlane: i < cp,
      ipvs: !noIpvs.has(name),
      ready: !notReady.has(name),
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
