// Every Kubernetes permission the bot uses, one entry per (verb, resource, scope, name). This list is the single
// source for three things that must agree: the shipped RBAC in deploy/rbac.yaml, the SelfSubjectAccessReviews
// `ipvs-bot doctor` runs, and the calls K8sCluster makes (test/deploy/ checks the adapter's source against it).
// Adding an API call to the adapter without a line here fails the tests.

export interface RequiredPermission {
  verb: 'get' | 'list' | 'watch' | 'create' | 'patch' | 'update' | 'delete';
  /** API group: '' for core, 'apps', 'batch'. */
  group: string;
  resource: string;
  subresource?: string;
  /** 'kube-system', the cluster's Job namespace, or undefined for cluster-scoped / all-namespaces access. */
  namespace?: string;
  /** Set when the permission is limited to one object (RBAC resourceNames). */
  resourceName?: string;
  /** What the workflow does with it, printed by doctor next to a failure. */
  why: string;
}

/** Placeholder for ClusterConfig.jobNamespace in the template below. */
export const JOB_NAMESPACE = '<jobNamespace>';
export const KUBE_SYSTEM = 'kube-system';
export const KUBE_PROXY = 'kube-proxy';

const T = (p: RequiredPermission): RequiredPermission => p;

/** Template (Job namespace as JOB_NAMESPACE); use requiredPermissions() for a concrete cluster. */
export const REQUIRED_PERMISSIONS: readonly RequiredPermission[] = Object.freeze([
  // Cluster identity: the kube-system namespace UID pins a run to the cluster it was planned on.
  T({ verb: 'get', group: '', resource: 'namespaces', resourceName: KUBE_SYSTEM, why: 'read the cluster UID (kube-system namespace)' }),
  T({ verb: 'list', group: '', resource: 'nodes', why: 'list nodes, their kernels and readiness for the plan' }),
  T({ verb: 'list', group: '', resource: 'services', why: 'find the kubernetes and kube-dns Service IPs verify checks, and NodePort/LoadBalancer services' }),
  // Detect CNI, MetalLB, kube-vip and managed platforms by their workloads (names and images only are kept).
  T({ verb: 'list', group: 'apps', resource: 'daemonsets', why: 'detect CNI / MetalLB / kube-vip DaemonSets' }),
  T({ verb: 'list', group: 'apps', resource: 'deployments', why: 'detect MetalLB / kube-vip / managed-platform Deployments' }),

  T({ verb: 'get', group: '', resource: 'configmaps', namespace: KUBE_SYSTEM, resourceName: KUBE_PROXY, why: 'read the kube-proxy configuration' }),
  // The kubelet's clusterDomain (kubeadm's kubelet-config) and CoreDNS's zone, for the DNS name the verify Job resolves.
  T({ verb: 'get', group: '', resource: 'configmaps', namespace: KUBE_SYSTEM, resourceName: 'kubelet-config', why: 'read the cluster DNS domain (kubelet clusterDomain) for the DNS check' }),
  T({ verb: 'get', group: '', resource: 'configmaps', namespace: KUBE_SYSTEM, resourceName: 'coredns', why: 'read the cluster DNS domain from the CoreDNS Corefile when kubelet-config is absent' }),
  T({ verb: 'patch', group: '', resource: 'configmaps', namespace: KUBE_SYSTEM, resourceName: KUBE_PROXY, why: 'switch the proxy mode in the kube-proxy ConfigMap' }),
  T({ verb: 'get', group: 'apps', resource: 'daemonsets', namespace: KUBE_SYSTEM, resourceName: KUBE_PROXY, why: 'read the kube-proxy DaemonSet and its rollout status' }),
  T({ verb: 'patch', group: 'apps', resource: 'daemonsets', namespace: KUBE_SYSTEM, resourceName: KUBE_PROXY, why: 'set the kube-proxy update strategy to OnDelete for a node-by-node rollout' }),
  T({ verb: 'list', group: '', resource: 'pods', namespace: KUBE_SYSTEM, why: 'find the kube-proxy pod on each node' }),
  T({ verb: 'watch', group: '', resource: 'pods', namespace: KUBE_SYSTEM, why: 'wait for the new kube-proxy pod to become Ready' }),
  T({ verb: 'delete', group: '', resource: 'pods', namespace: KUBE_SYSTEM, why: 'restart kube-proxy on one node at a time' }),
  T({ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: KUBE_SYSTEM, why: 'check kube-proxy logs for the proxier it started' }),

  // Lets ensureJob tell "the Job namespace is missing" from other errors (it is created by deploy/namespaces.yaml).
  T({ verb: 'get', group: '', resource: 'namespaces', resourceName: JOB_NAMESPACE, why: 'check that the Job namespace exists' }),
  T({ verb: 'create', group: '', resource: 'configmaps', namespace: JOB_NAMESPACE, why: 'store the node scripts the Jobs mount (immutable, named by their content)' }),
  T({ verb: 'create', group: 'batch', resource: 'jobs', namespace: JOB_NAMESPACE, why: 'run the per-node prep / verify / cleanup Jobs' }),
  T({ verb: 'list', group: 'batch', resource: 'jobs', namespace: JOB_NAMESPACE, why: 'start a watch on the run\'s Jobs' }),
  T({ verb: 'watch', group: 'batch', resource: 'jobs', namespace: JOB_NAMESPACE, why: 'wait for the node Jobs to finish' }),
  T({ verb: 'delete', group: 'batch', resource: 'jobs', namespace: JOB_NAMESPACE, why: 'remove finished node Jobs' }),
  T({ verb: 'list', group: '', resource: 'pods', namespace: JOB_NAMESPACE, why: 'read each Job pod\'s termination message (the node result)' }),
  T({ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: JOB_NAMESPACE, why: 'read a Job pod\'s log when it wrote no termination message' }),
]);

/**
 * Calls the adapter can make that the shipped RBAC deliberately does NOT grant. K8sCluster.ensureJob creates a
 * missing Job namespace as a fallback; deploy/namespaces.yaml creates it up front instead, because `create
 * namespaces` cannot be limited by name and would let the bot create privileged namespaces anywhere.
 * Without the grant the fallback fails with Forbidden, which names the missing namespace.
 */
export const NOT_GRANTED: readonly RequiredPermission[] = Object.freeze([
  T({ verb: 'create', group: '', resource: 'namespaces', why: 'create the Job namespace when it is missing (not granted: apply deploy/namespaces.yaml instead)' }),
]);

/** The permissions for one cluster, with its Job namespace filled in. */
export function requiredPermissions(opts: { jobNamespace: string }): RequiredPermission[] {
  return REQUIRED_PERMISSIONS.map((p) => ({
    ...p,
    ...(p.namespace === JOB_NAMESPACE ? { namespace: opts.jobNamespace } : {}),
    ...(p.resourceName === JOB_NAMESPACE ? { resourceName: opts.jobNamespace } : {}),
  }));
}

/** "patch configmaps/kube-proxy in kube-system", "get pods/log in ipvs-bot-jobs", "list nodes (cluster-wide)". */
export function describePermission(p: RequiredPermission): string {
  const res = `${p.group ? `${p.resource}.${p.group}` : p.resource}${p.subresource ? `/${p.subresource}` : ''}`;
  const name = p.resourceName ? ` "${p.resourceName}"` : '';
  return `${p.verb} ${res}${name} ${p.namespace ? `in ${p.namespace}` : '(cluster-wide)'}`;
}

/** The RBAC rule that grants it, as the YAML an operator adds (to a Role in p.namespace, or the ClusterRole). */
export function ruleFor(p: RequiredPermission): string {
  const where = p.namespace ? `Role in namespace ${p.namespace}` : 'ClusterRole';
  const names = p.resourceName ? `, resourceNames: ["${p.resourceName}"]` : '';
  const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
  return `${where} bound to the bot's ServiceAccount: {apiGroups: ["${p.group}"], resources: ["${resource}"]${names}, verbs: ["${p.verb}"]}`;
}
