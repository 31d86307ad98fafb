// The only reads behind a plan. Everything is fetched in parallel; a missing kube-proxy ConfigMap or DaemonSet is a
// fact (checks.ts turns it into a block), any other failure propagates to the caller.
import type { Cluster } from '../../k8s/cluster.js';
import { K8sError } from '../../k8s/errors.js';
import { KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE, type ClusterFacts } from './facts.js';

export async function gatherFacts(cluster: Cluster, name: string): Promise<ClusterFacts> {
  const [version, clusterUid, nodes, configMap, daemonSet, workloads, services] = await Promise.all([
    cluster.version(),
    cluster.clusterUid(),
    cluster.listNodes(),
    orMissing(cluster.getConfigMap(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME)),
    orMissing(cluster.getDaemonSet(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME)),
    cluster.listWorkloadNames(),
    cluster.listServices(),
  ]);
  return {
    cluster: name,
    clusterUid,
    version,
    nodes,
    ...(configMap ? { configMap } : {}),
    ...(daemonSet ? { daemonSet } : {}),
    workloads,
    services,
  };
}

async function orMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof K8sError && e.kind === 'NotFound') return undefined;
    throw e;
  }
}
