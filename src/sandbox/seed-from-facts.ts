// Sandbox options that copy a real cluster's plan facts (issue #13 item 1, rehearsal): the nodes with their real
// names, kernels, OS images, runtimes, labels, taints and readiness; the Kubernetes version; kube-proxy's
// config.conf verbatim and its DaemonSet placement; the Services; the detected addons; and, where a previous prep
// Job reported them, which nodes lack the IPVS modules and which nft they have. Everything else follows the
// sandbox's kubeadm defaults. The sandbox's node agent then decides per node what prep, restart and verify find
// (node-agent/agent-prep.ts: kernel ≥ 5.13 for nftables, k/k pkg/util/kernel/constants.go; nft ≥ 1.0.1; ip_vs*).
import type { ClusterFacts } from '../workflows/kube-proxy-mode/facts.js';
import { KUBE_PROXY_CONFIG_KEY } from '../workflows/kube-proxy-mode/facts.js';
import { isControlPlane } from '../workflows/kube-proxy-mode/plan.js';
import { ServiceOption, defaultNft, type ClusterOptionsInput, type ExtraWorkload, type Toleration } from './cluster-options.js';

/** What earlier prep Jobs found on a node (their JSON result: `modules`, `nftables.nftVersion`). */
export interface NodeProbe { ipvsModules?: boolean; nftVersion?: string | null }

export interface SeedFromFactsOptions {
  /** Per node name; nodes without an entry get what their OS image's packages and a stock kernel have. */
  probes?: Record<string, NodeProbe>;
}

const ADDONS: [RegExp, ExtraWorkload][] = [
  [/^calico-node$/, 'calico-node'], [/^(metallb-)?speaker$/, 'metallb-speaker'], [/^kube-flannel(-ds)?$/, 'flannel'], [/^cilium$/, 'cilium'],
];

/** Sandbox options for a cluster shaped like `facts`; the control-plane nodes come first (the sandbox's layout). */
export function sandboxOptionsFromFacts(facts: ClusterFacts, o: SeedFromFactsOptions = {}): ClusterOptionsInput {
  const nodes = [...facts.nodes.filter(isControlPlane), ...facts.nodes.filter((n) => !isControlPlane(n))];
  if (nodes.length === 0) throw new Error(`${facts.cluster} has no nodes kube-proxy runs on: nothing to rehearse`);
  const cp = nodes.filter(isControlPlane).length;
  const probes = o.probes ?? {};
  const text = facts.configMap?.data[KUBE_PROXY_CONFIG_KEY];
  const placement = facts.daemonSet?.placement;
  // The sandbox seeds its own control-plane taint and the unreachable taints of a NotReady node (cluster-seed.ts).
  const seeded = (key: string) => key === 'node-role.kubernetes.io/control-plane' || key === 'node.kubernetes.io/unreachable';
  const workloads = new Set<ExtraWorkload>();
  for (const w of facts.workloads) {
    for (const [re, addon] of ADDONS) if (re.test(w.name)) workloads.add(addon);
    if (w.name === 'kube-vip') workloads.add(w.kind === 'StaticPod' ? 'kube-vip-static-pod' : 'kube-vip');
  }
  const nftVersion = nodes.map((n) => probes[n.name]?.nftVersion);
  return {
    nodes: nodes.length,
    nodeNames: nodes.map((n) => n.name),
    controlPlane: cp,
    kubernetesVersion: plainVersion(facts.version.gitVersion),
    kernel: nodes.map((n) => n.kernelVersion || '6.1.0-27-amd64'),
    osImage: nodes.map((n) => n.osImage || 'Linux'),
    runtime: nodes.map((n) => n.containerRuntimeVersion || 'containerd://1.7.22'),
    nodesWithoutIpvs: nodes.filter((n) => probes[n.name]?.ipvsModules === false).map((n) => n.name),
    notReady: nodes.filter((n) => !n.ready).map((n) => n.name),
    nodeLabels: nodes.filter((n) => Object.keys(n.labels).length > 0).map((n) => ({ node: n.name, labels: { ...n.labels } })),
    nodeTaints: nodes.flatMap((n) => n.taints.filter((t) => !seeded(t.key) && isEffect(t.effect))
      .map((t) => ({ node: n.name, key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect as 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }))),
    // Only when a probe said so: otherwise the sandbox's default for the OS image (cluster-options.ts defaultNft).
    ...(nftVersion.some((v) => v !== undefined) ? { nftVersion: nodes.map((n, i) => nftVersion[i] !== undefined ? nftVersion[i]! : defaultNft(n.osImage)) } : {}),
    ...(text !== undefined ? { kubeProxyConfigText: text } : {}),
    ...(placement?.nodeSelector ? { kubeProxyNodeSelector: { ...placement.nodeSelector } } : {}),
    ...(placement?.tolerations ? { kubeProxyTolerations: placement.tolerations.map(toleration) } : {}),
    extraWorkloads: [...workloads],
    services: facts.services.flatMap(serviceOption),
    ...(facts.clusterDomain ? { clusterDomain: facts.clusterDomain.value } : {}),
    ...(facts.services.some((s) => s.name === 'kubernetes' && s.namespace === 'default' && s.clusterIP?.includes(':')) ? { ipFamilies: 'IPv6' as const } : {}),
  };
}

/** "v1.29.3-eks-adc7111" / "v1.28.7+k3s1" → "v1.29.3": the sandbox models upstream kube-proxy of that release. */
function plainVersion(v: string): string {
  const m = /^v?(1\.\d{1,2}\.\d{1,3})/.exec(v);
  return m ? `v${m[1]}` : 'v1.28.7';
}

function isEffect(e: string): boolean { return e === 'NoSchedule' || e === 'PreferNoSchedule' || e === 'NoExecute'; }

function toleration(t: { key?: string; operator?: string; value?: string; effect?: string }): Toleration {
  return {
    ...(t.key ? { key: t.key } : {}), ...(t.operator === 'Exists' || t.operator === 'Equal' ? { operator: t.operator as 'Exists' | 'Equal' } : {}),
    ...(t.value ? { value: t.value } : {}), ...(t.effect && isEffect(t.effect) ? { effect: t.effect as 'NoSchedule' } : {}),
  };
}

/** The user's Services (the sandbox seeds kubernetes and kube-dns itself); ones the sandbox cannot express are left out. */
function serviceOption(s: ClusterFacts['services'][number]): ServiceOption[] {
  if ((s.namespace === 'default' && s.name === 'kubernetes') || (s.namespace === 'kube-system' && s.name === 'kube-dns')) return [];
  if (!s.clusterIP || s.clusterIP === 'None') return [];
  const r = ServiceOption.safeParse({
    name: s.name, namespace: s.namespace, type: s.type === 'NodePort' || s.type === 'LoadBalancer' ? s.type : 'ClusterIP',
    ports: s.ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol, ...(p.nodePort ? { nodePort: p.nodePort } : {}) })),
    externalIPs: s.externalIPs ?? [], loadBalancerIngress: s.loadBalancerIPs ?? [],
    ...(s.externalTrafficPolicy === 'Local' || s.externalTrafficPolicy === 'Cluster' ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
  });
  return r.success ? [r.data] : [];
}
