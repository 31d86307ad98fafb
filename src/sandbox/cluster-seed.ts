// Writes a converged kubeadm cluster into the store: namespaces, nodes + leases, kube-system's kubeadm objects
// (from seed/kubeadm-objects.ts, versions following kubernetesVersion), one Running kube-proxy pod per node, the
// `kubernetes` Service, optional extra workloads. No timers: a 5,000-node cluster is written in one pass.
import type { K8sObject, ObjectStore } from './object-store.js';
import type { ClusterOptions, NodeSpec } from './cluster-options.js';
import { type ClusterContext, type Obj, isoNow } from './controllers/context.js';
import { daemonPod, ensureRevision } from './controllers/daemonset-controller.js';
import { runningStatus } from './controllers/pod-status.js';
import * as K from './seed/kubeadm-objects.js';
import { extraWorkloadDaemonSets, extraWorkloadNamespaces } from './cluster-workloads.js';

const clone = <T>(o: T): T => structuredClone(o);

export function nodeIP(i: number): string {
  return `10.0.${Math.floor(i / 240)}.${(i % 240) + 11}`;
}

function withVersion<T>(o: T, version: string): T {
  return JSON.parse(JSON.stringify(o).replace(/v1\.28\.7/g, version)) as T;
}

export function nodeObject(spec: NodeSpec, version: string, rng: () => number, now: Date): K8sObject {
  const n = clone(K.nodeTemplate) as Obj;
  const t = isoNow(now);
  const labels: Record<string, string> = { ...n.metadata.labels, 'kubernetes.io/hostname': spec.name };
  delete labels['node-role.kubernetes.io/control-plane'];
  delete labels['node.kubernetes.io/exclude-from-external-load-balancers'];
  if (spec.controlPlane) { labels['node-role.kubernetes.io/control-plane'] = ''; labels['node.kubernetes.io/exclude-from-external-load-balancers'] = ''; }
  n.metadata = { name: spec.name, labels, annotations: { ...n.metadata.annotations, 'node.alpha.kubernetes.io/ttl': '0',
    'kubeadm.alpha.kubernetes.io/cri-socket': spec.runtime.startsWith('cri-o') ? 'unix:///var/run/crio/crio.sock' : 'unix:///var/run/containerd/containerd.sock' } };
  const cidr = `10.${244 + Math.floor(spec.index / 256)}.${spec.index % 256}.0/24`;
  n.spec = { podCIDR: cidr, podCIDRs: [cidr], ...(spec.controlPlane ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}) };
  const hex = () => Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
  n.status.addresses = [{ type: 'InternalIP', address: nodeIP(spec.index) }, { type: 'Hostname', address: spec.name }];
  n.status.conditions = n.status.conditions.map((c: Record<string, unknown>) => ({ ...c, lastHeartbeatTime: t, lastTransitionTime: t,
    ...(c.type === 'Ready' && !spec.ready ? { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : {}) }));
  if (!spec.ready) n.spec.taints = [...(n.spec.taints ?? []), { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: t }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: t }];
  const id = hex();
  n.status.nodeInfo = { ...n.status.nodeInfo, machineID: id, systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
    bootID: hex(), kernelVersion: spec.kernel, osImage: spec.osImage, containerRuntimeVersion: spec.runtime, kubeletVersion: version, kubeProxyVersion: version };
  return n;
}

function ns(name: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

function service(name: string, namespace: string, clusterIP: string, ports: { name: string; port: number; protocol: string; targetPort: number }[], labels: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels },
    spec: { clusterIP, clusterIPs: [clusterIP], internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports, sessionAffinity: 'None', type: 'ClusterIP' },
    status: { loadBalancer: {} } };
}

/** Seeds the store; returns the uids of the kube-proxy pods (node → uid) the kubelets adopt as running. */
export function seedCluster(ctx: ClusterContext, specs: NodeSpec[]): Map<string, { uid: string; kubeProxy: boolean }[]> {
  const { store, opts } = ctx;
  const v = opts.kubernetesVersion;
  const now = ctx.now();
  for (const n of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) store.create('namespaces', ns(n));
  for (const n of extraWorkloadNamespaces(opts.extraWorkloads)) if (!store.get('namespaces', undefined, n)) store.create('namespaces', ns(n));
  for (const s of specs) {
    store.create('nodes', nodeObject(s, v, ctx.rng, now));
    store.create('leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: s.name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: s.name, leaseDurationSeconds: 40, renewTime: now.toISOString().replace('Z', '000Z') } });
  }
  store.create('services', service('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], { component: 'apiserver', provider: 'kubernetes' }));
  store.create('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: nodeIP(0) }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }] });
  for (let i = 0; i < opts.extraServices; i++) {
    store.create('services', service(`svc-${i + 1}`, 'default', `10.96.${Math.floor((i + 100) / 250)}.${((i + 100) % 250) + 2}`, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], { app: `svc-${i + 1}` }));
  }
  for (const o of [K.configmapKubeProxy, K.configmapCoredns, K.serviceaccountKubeProxy, K.serviceaccountCoredns]) {
    store.create(o.kind === 'ConfigMap' ? 'configmaps' : 'serviceaccounts', withVersion(clone(o), v));
  }
  store.create('services', clone(K.serviceKubeDns));
  const deploy = store.create('deployments', clone(K.deploymentCoredns));
  const rs = clone(K.replicasetCoredns);
  rs.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'coredns', uid: deploy.metadata.uid, controller: true, blockOwnerDeletion: true }];
  const rsObj = store.create('replicasets', rs);
  const workers = specs.filter((s) => !s.controlPlane);
  const dnsNodes = (workers.length ? workers : specs).slice(0, 2);
  const dnsIPs: string[] = [];
  K.corednsPods.forEach((tpl: Obj, i: number) => {
    const node = dnsNodes[i % dnsNodes.length];
    if (!node) return;
    const p = clone(tpl) as Obj;
    p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsObj.metadata.name, uid: rsObj.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }];
    p.spec.nodeName = node.name;
    p.status.hostIP = nodeIP(node.index);
    dnsIPs.push(p.status.podIP);
    store.create('pods', p);
  });
  store.create('endpoints', clone(K.endpointsKubeDns));
  store.create('endpointslices', clone(K.endpointsliceKubeDns));
  const running = new Map<string, { uid: string; kubeProxy: boolean }[]>();
  const daemonSets = [withVersion(clone(K.daemonsetKubeProxy), v), ...extraWorkloadDaemonSets(opts.extraWorkloads)];
  for (const d of daemonSets) {
    const ds = store.create('daemonsets', d) as Obj;
    const hash = ensureRevision(ctx, ds);
    const kubeProxy = ds.metadata.name === 'kube-proxy' && ds.metadata.namespace === 'kube-system';
    let ready = 0;
    for (const s of specs) {
      const pod = daemonPod(ctx, ds, s.name, hash, true);
      if (!s.ready) { store.create('pods', pod); continue; } // a NotReady node's kubelet never started it
      pod.status = runningStatus({ ...pod, status: { ...pod.status, conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: isoNow(now) }] } }, now, nodeIP(s.index), nodeIP(s.index), 1);
      const p = store.create('pods', pod) as Obj;
      running.set(s.name, [...(running.get(s.name) ?? []), { uid: p.metadata.uid as string, kubeProxy }]);
      ready++;
    }
    const desired = specs.length;
    const status: Record<string, unknown> = { currentNumberScheduled: ready, numberMisscheduled: 0, desiredNumberScheduled: desired, numberReady: ready, observedGeneration: ds.metadata.generation ?? 1 };
    if (ready) { status.updatedNumberScheduled = ready; status.numberAvailable = ready; }
    if (desired - ready) status.numberUnavailable = desired - ready;
    store.mutate('daemonsets', ds.metadata.namespace, ds.metadata.name, (o) => { o.status = status; }, { status: true });
  }
  return running;
}

export type { ObjectStore, ClusterOptions };
