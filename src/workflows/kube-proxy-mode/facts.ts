// What the plan is computed from: a read-only picture of the cluster, gathered once (gather-facts.ts) and then
// judged by pure rules (checks.ts) and assembled into a Plan (plan.ts). Plain JSON, so tests build it directly.
import type { ConfigMapInfo, DaemonSetInfo, NodeInfo, ServiceInfo } from '../../k8s/cluster.js';
import type { SkippedNode } from './node-coverage.js';

export const KUBE_PROXY_NAMESPACE = 'kube-system';
export const KUBE_PROXY_NAME = 'kube-proxy';
export const KUBE_PROXY_CONFIG_KEY = 'config.conf';
export const KUBE_PROXY_SELECTOR = 'k8s-app=kube-proxy';

export interface Workload { namespace: string; kind: string; name: string; image: string }

export interface ClusterFacts {
  /** Name from the bot's config. */
  cluster: string;
  clusterUid: string;
  version: { gitVersion: string; major: string; minor: string };
  /** The nodes kube-proxy's DaemonSet runs on: the ones a run prepares, restarts and verifies. */
  nodes: NodeInfo[];
  /** Nodes the DaemonSet does not cover (Windows, outside its nodeSelector/affinity, untolerated taints). */
  skippedNodes?: SkippedNode[];
  /** The cluster's DNS domain (kubelet clusterDomain), for the verify Job's DNS name. */
  clusterDomain?: { value: string; source: 'kubelet-config' | 'coredns' | 'default' };
  /** kube-system/kube-proxy, absent on k3s/RKE2/kube-proxy-replacement clusters. */
  configMap?: ConfigMapInfo;
  daemonSet?: DaemonSetInfo;
  workloads: Workload[];
  services: ServiceInfo[];
}

/** The label selector of kube-proxy's pods: the DaemonSet's own, else kubeadm's `k8s-app=kube-proxy`. */
export function kubeProxyPodSelector(ds: Pick<DaemonSetInfo, 'selector'> | undefined): string {
  const pairs = Object.entries(ds?.selector ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  return pairs.length > 0 ? pairs.join(',') : KUBE_PROXY_SELECTOR;
}

/** config.conf of the kube-proxy ConfigMap, or undefined when the ConfigMap or the key is missing. */
export function configText(facts: ClusterFacts): string | undefined {
  return facts.configMap?.data[KUBE_PROXY_CONFIG_KEY];
}

/** Number of Service ports the IPVS table should hold at least (one virtual server per ClusterIP port). */
export function servicePortCount(services: readonly ServiceInfo[]): number {
  let n = 0;
  for (const s of services) {
    if (!s.clusterIP || s.clusterIP === 'None') continue;
    n += s.ports.length;
  }
  return n;
}
