// Writes a converged kubeadm cluster into the store: namespaces, nodes + leases, kube-system's kubeadm objects
// (from seed/kubeadm-objects.ts, versions following kubernetesVersion), one Running kube-proxy pod per node, the
// `kubernetes` Service, optional extra workloads. No timers: a 5,000-node cluster is written in one pass.
import type { K8sObject, ObjectStore } from './object-store.js';
import type { ClusterOptions, NodeSpec } from './cluster-options.js';
import { type ClusterContext, type Obj, isoNow } from './controllers/context.js';
import { daemonPod, ensureRevision } from './controllers/daemonset-controller.js';
import { runningStatus } from './controllers/pod-status.js';
import * as K from './seed/kubeadm-objects.js';
import { extraWorkloadDaemonSets, extraWorkloadNamespaces, kubeVipMirrorPod } from './cluster-workloads.js';
import { nodeIP4 } from './cluster-options.js';
import { nodeShouldRunDaemonPod } from './controllers/daemonset-placement.js';
import { seedServices } from './seed/seed-services.js';
import { corefile, kubeletConfigMap, kubeProxyConfigConf } from './seed/seed-config.js';
import { createHash } from 'node:crypto';

const clone = <T>(o: T): T => structuredClone(o);

/** IPv4 InternalIP by index (the primary one unless the cluster is IPv6-only; see NodeSpec.addresses). */
export function nodeIP(i: number): string {
  return nodeIP4(i);
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
  // a Windows kubelet's well-known labels (k8s.io/api/core/v1 well_known_labels.go; windows-build: kubelet on Windows)
  if (spec.windows) Object.assign(labels, { 'kubernetes.io/os': 'windows', 'beta.kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.20348' });
  Object.assign(labels, spec.labels);
  n.metadata = { name: spec.name, labels, annotations: { ...n.metadata.annotations, 'node.alpha.kubernetes.io/ttl': '0',
    'kubeadm.alpha.kubernetes.io/cri-socket': spec.runtime.startsWith('cri-o') ? 'unix:///var/run/crio/crio.sock' : 'unix:///var/run/containerd/containerd.sock' } };
  const taints = [...(spec.controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : []), ...spec.taints];
  n.spec = { podCIDR: spec.podCIDRs[0], podCIDRs: spec.podCIDRs, ...(taints.length ? { taints } : {}) };
  const hex = () => Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16)).join('');
  n.status.addresses = [...spec.addresses.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: spec.name }];
  n.status.conditions = n.status.conditions.map((c: Record<string, unknown>) => ({ ...c, lastHeartbeatTime: t, lastTransitionTime: t,
    ...(c.type === 'Ready' && !spec.ready ? { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : {}) }));
  if (!spec.ready) n.spec.taints = [...(n.spec.taints ?? []), { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: t }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: t }];
  const id = hex();
  n.status.nodeInfo = { ...n.status.nodeInfo, machineID: id, systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
    bootID: hex(), kernelVersion: spec.kernel, osImage: spec.osImage, containerRuntimeVersion: spec.runtime, kubeletVersion: version, kubeProxyVersion: version,
    ...(spec.windows ? { operatingSystem: 'windows', kubeProxyVersion: '' } : {}) };
  return n;
}

function ns(name: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
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
  const apiIP = specs[0]?.addresses[0] ?? nodeIP(0);
  const svcs = seedServices(opts, apiIP);
  for (const o of svcs.objects) store.create('services', o);
  store.create('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: apiIP }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }] });
  const kp = withVersion(clone(K.configmapKubeProxy), v);
  kp.data['config.conf'] = opts.kubeProxyConfigText ?? kubeProxyConfigConf(kp.data['config.conf'], opts);
  store.create('configmaps', kp);
  const cd = clone(K.configmapCoredns);
  cd.data.Corefile = corefile(cd.data.Corefile, opts.clusterDomain);
  store.create('configmaps', cd);
  store.create('configmaps', kubeletConfigMap(opts.clusterDomain, svcs.kubeDnsIP) as K8sObject);
  for (const o of [K.serviceaccountKubeProxy, K.serviceaccountCoredns]) store.create('serviceaccounts', withVersion(clone(o), v));
  const v6only = opts.ipFamilies === 'IPv6';
  store.create('services', v6only ? toV6(K.serviceKubeDns) : clone(K.serviceKubeDns));
  const deploy = store.create('deployments', clone(K.deploymentCoredns));
  const rs = clone(K.replicasetCoredns);
  rs.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'coredns', uid: deploy.metadata.uid, controller: true, blockOwnerDeletion: true }];
  const rsObj = store.create('replicasets', rs);
  const workers = specs.filter((s) => !s.controlPlane && !s.windows);
  const dnsNodes = (workers.length ? workers : specs.filter((s) => !s.windows)).slice(0, 2);
  const dnsIPs: string[] = [];
  K.corednsPods.forEach((tpl: Obj, i: number) => {
    const node = dnsNodes[i % dnsNodes.length];
    if (!node) return;
    const p = (v6only ? toV6(tpl) : clone(tpl)) as Obj;
    p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsObj.metadata.name, uid: rsObj.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }];
    p.spec.nodeName = node.name;
    p.status.hostIP = node.addresses[0];
    dnsIPs.push(p.status.podIP);
    store.create('pods', p);
  });
  // dnsFailure no-endpoints: CoreDNS not ready anywhere, so kube-dns has no ready endpoints (queries time out in IPVS mode)
  const eps = (v6only ? toV6(K.endpointsKubeDns) : clone(K.endpointsKubeDns)) as Obj;
  const slice = (v6only ? toV6(K.endpointsliceKubeDns) : clone(K.endpointsliceKubeDns)) as Obj;
  if (opts.dnsFailure === 'no-endpoints') { eps.subsets = []; slice.endpoints = []; }
  store.create('endpoints', eps);
  store.create('endpointslices', slice);
  const running = new Map<string, { uid: string; kubeProxy: boolean }[]>();
  const kpDs = withVersion(clone(K.daemonsetKubeProxy), v) as Obj;
  if (opts.kubeProxyNodeSelector) kpDs.spec.template.spec.nodeSelector = { ...kpDs.spec.template.spec.nodeSelector, ...opts.kubeProxyNodeSelector };
  if (opts.kubeProxyTolerations) kpDs.spec.template.spec.tolerations = opts.kubeProxyTolerations;
  const daemonSets = [kpDs, ...extraWorkloadDaemonSets(opts.extraWorkloads)];
  for (const d of daemonSets) {
    const ds = store.create('daemonsets', d) as Obj;
    const hash = ensureRevision(ctx, ds);
    const kubeProxy = ds.metadata.name === 'kube-proxy' && ds.metadata.namespace === 'kube-system';
    let ready = 0;
    let desired = 0;
    for (const s of specs) {
      const nodeObj = store.get('nodes', undefined, s.name) as Obj | undefined;
      if (!nodeObj || !nodeShouldRunDaemonPod(ds, nodeObj).shouldRun) continue;
      desired++;
      const pod = daemonPod(ctx, ds, s.name, hash, true);
      if (!s.ready) { store.create('pods', pod); continue; } // a NotReady node's kubelet never started it
      pod.status = runningStatus({ ...pod, status: { ...pod.status, conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: isoNow(now) }] } }, now, s.addresses[0] ?? nodeIP(s.index), s.addresses[0] ?? nodeIP(s.index), 1);
      const p = store.create('pods', pod) as Obj;
      running.set(s.name, [...(running.get(s.name) ?? []), { uid: p.metadata.uid as string, kubeProxy }]);
      ready++;
    }
    const status: Record<string, unknown> = { currentNumberScheduled: ready, numberMisscheduled: 0, desiredNumberScheduled: desired, numberReady: ready, observedGeneration: ds.metadata.generation ?? 1 };
    if (ready) { status.updatedNumberScheduled = ready; status.numberAvailable = ready; }
    if (desired - ready) status.numberUnavailable = desired - ready;
    store.mutate('daemonsets', ds.metadata.namespace, ds.metadata.name, (o) => { o.status = status; }, { status: true });
  }
  if (opts.extraWorkloads.includes('kube-vip-static-pod')) {
    for (const s of specs.filter((x) => x.controlPlane && x.ready)) {
      const node = store.get('nodes', undefined, s.name) as Obj;
      const hash = createHash('md5').update(`kube-vip/${s.name}`).digest('hex');
      const pod = kubeVipMirrorPod(s.name, node.metadata.uid as string, hash, now.toISOString().replace('Z', '000000Z'));
      pod.status = runningStatus({ ...pod, status: { ...pod.status, conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: isoNow(now) }] } }, now, s.addresses[0] ?? nodeIP(s.index), s.addresses[0] ?? nodeIP(s.index), 1);
      const p = store.create('pods', pod) as Obj;
      running.set(s.name, [...(running.get(s.name) ?? []), { uid: p.metadata.uid as string, kubeProxy: false }]);
    }
  }
  return running;
}

/** An IPv6-only cluster's copy of a v4 fixture object: kube-dns ClusterIP, CoreDNS pod IPs, EndpointSlice addressType. */
function toV6<T>(o: T): T {
  return JSON.parse(JSON.stringify(o).replace(/"10\.96\.0\.10"/g, '"fd00:10:96::a"').replace(/"10\.244\.0\.93"/g, '"fd00:10:244:1::5d"')
    .replace(/"10\.244\.1\.210"/g, '"fd00:10:244:2::d2"').replace(/"IPv4"/g, '"IPv6"')) as T;
}

export type { ObjectStore, ClusterOptions };
