// The only reads behind a plan. Everything is fetched in parallel; a missing kube-proxy ConfigMap or DaemonSet is a
// fact (checks.ts turns it into a block), any other failure propagates to the caller.
import { parse as parseYaml } from 'yaml';
import type { Cluster, NodeInfo } from '../../k8s/cluster.js';
import { K8sError } from '../../k8s/errors.js';
import { KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE, type ClusterFacts, type Workload } from './facts.js';
import { daemonSetCoverage } from './node-coverage.js';

export async function gatherFacts(cluster: Cluster, name: string): Promise<ClusterFacts> {
  const [version, clusterUid, nodes, configMap, daemonSet, workloads, services, clusterDomain] = await Promise.all([
    cluster.version(),
    cluster.clusterUid(),
    cluster.listNodes(),
    orMissing(cluster.getConfigMap(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME)),
    orMissing(cluster.getDaemonSet(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME)),
    cluster.listWorkloadNames(),
    cluster.listServices(),
    readClusterDomain(cluster),
  ]);
  const { covered, skipped } = daemonSetCoverage(daemonSet, nodes);
  const staticPods = await staticAddonPods(cluster, nodes);
  return {
    cluster: name,
    clusterUid,
    version,
    nodes: covered,
    ...(skipped.length > 0 ? { skippedNodes: skipped } : {}),
    clusterDomain,
    ...(configMap ? { configMap } : {}),
    ...(daemonSet ? { daemonSet } : {}),
    workloads: [...workloads, ...staticPods],
    services,
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/**
 * The kubelet's clusterDomain: kubeadm keeps the KubeletConfiguration in kube-system/kubelet-config (key `kubelet`,
 * cmd/kubeadm/app/constants KubeletBaseConfigurationConfigMap), and CoreDNS serves the same zone (Corefile
 * `kubernetes <domain> in-addr.arpa ip6.arpa`, fixture kubeadm/configmap-coredns.json). Unreadable → cluster.local.
 */
async function readClusterDomain(cluster: Cluster): Promise<NonNullable<ClusterFacts['clusterDomain']>> {
  const [kubelet, coredns] = await Promise.all([
    orUnreadable(cluster.getConfigMap(KUBE_PROXY_NAMESPACE, 'kubelet-config')),
    orUnreadable(cluster.getConfigMap(KUBE_PROXY_NAMESPACE, 'coredns')),
  ]);
  try {
    const doc = kubelet?.data.kubelet !== undefined ? parseYaml(kubelet.data.kubelet) as { clusterDomain?: unknown } | null : null;
    const d = typeof doc?.clusterDomain === 'string' ? doc.clusterDomain.replace(/\.$/, '').toLowerCase() : '';
    if (DNS_LABEL.test(d)) return { value: d, source: 'kubelet-config' };
  } catch { /* an unparsable kubelet config: try CoreDNS */ }
  const corefile = coredns?.data.Corefile ?? '';
  for (const m of corefile.matchAll(/^\s*kubernetes\s+([^{\n]+)/gm)) {
    const zone = m[1]!.trim().split(/\s+/).map((z) => z.replace(/\.$/, '').toLowerCase()).find((z) => !/(^|\.)(in-addr|ip6)\.arpa$/.test(z));
    if (zone && DNS_LABEL.test(zone)) return { value: zone, source: 'coredns' };
  }
  return { value: 'cluster.local', source: 'default' };
}

/**
 * kube-vip often runs as a static pod on the control-plane nodes (its docs' `kube-vip manifest pod`): only its
 * mirror pod shows in the API. One list per control-plane node, filtered by the server.
 */
async function staticAddonPods(cluster: Cluster, nodes: readonly NodeInfo[]): Promise<Workload[]> {
  const cps = nodes.filter((n) => 'node-role.kubernetes.io/control-plane' in n.labels || 'node-role.kubernetes.io/master' in n.labels).slice(0, 7);
  const lists = await Promise.all(cps.map((n) => orUnreadable(cluster.listPods(KUBE_PROXY_NAMESPACE, '', { fieldSelector: `spec.nodeName=${n.name}` }))));
  const out: Workload[] = [];
  for (const pods of lists) {
    for (const p of pods ?? []) {
      if (/^kube-vip(-|$)/.test(p.name) && !out.some((w) => w.name === 'kube-vip')) out.push({ namespace: p.namespace, kind: 'StaticPod', name: 'kube-vip', image: '' });
    }
  }
  return out;
}

async function orMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof K8sError && e.kind === 'NotFound') return undefined;
    throw e;
  }
}

/** Optional facts: missing or not readable (older RBAC without these rules) is no reason to refuse a plan. */
async function orUnreadable<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof K8sError && (e.kind === 'NotFound' || e.kind === 'Forbidden')) return undefined;
    throw e;
  }
}
