// The simulated controllers on the real object store (no HTTP): DaemonSet rolling update and OnDelete, kubelets
// running kube-proxy against each node's host, Jobs answered by the node agent, faults.
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStore, type K8sObject } from '../../src/sandbox/object-store.js';
import { SimCluster } from '../../src/sandbox/cluster-sim.js';
import type { ClusterOptionsInput } from '../../src/sandbox/cluster-options.js';
import { nodeJobSpec } from '../../src/k8s/node-jobs.js';
import { deleteObject } from '../../src/sandbox/api-delete.js';
import { createNodeJob } from './support/create-node-job.js';
import { until } from './support/until.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let cluster: SimCluster | undefined;
afterEach(() => { cluster?.stop(); cluster = undefined; });

function start(o: ClusterOptionsInput = {}) {
  const store = new ObjectStore();
  const events: { type: string; resource: string; object: Any }[] = [];
  store.subscribe((e) => events.push({ type: e.type, resource: e.resource, object: structuredClone(e.object) as Any }));
  cluster = new SimCluster(store, { stepMs: 5, crashBackoffMs: 20, jobBackoffMs: 10, ...o });
  cluster.start();
  return { store, c: cluster, events };
}


const proxyPods = (store: ObjectStore) => store.list('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' }).items as Any[];
const ready = (p: Any) => (p.status?.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True');
const markDeleting = (store: ObjectStore, p: Any) => store.mutate('pods', 'kube-system', p.metadata.name, (o) => {
  o.metadata.deletionTimestamp = new Date(Date.now() + 30_000).toISOString(); o.metadata.deletionGracePeriodSeconds = 30;
});

describe('src/sandbox/controllers', () => {
  it('seeds a converged kubeadm cluster: one Running kube-proxy per node, DaemonSet status complete', () => {
    const { store } = start({ nodes: 4, controlPlane: 1 });
    const pods = proxyPods(store);
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['k8s-cp-1', 'k8s-worker-1', 'k8s-worker-2', 'k8s-worker-3']);
    expect(pods.every(ready)).toBe(true);
    expect(pods[0]!.metadata.labels).toMatchObject({ 'pod-template-generation': '1', 'k8s-app': 'kube-proxy' });
    const ds = store.get('daemonsets', 'kube-system', 'kube-proxy') as Any;
    expect(ds.status).toEqual({ currentNumberScheduled: 4, numberMisscheduled: 0, desiredNumberScheduled: 4, numberReady: 4, observedGeneration: 1, updatedNumberScheduled: 4, numberAvailable: 4 });
    expect(store.list('controllerrevisions', 'kube-system').items).toHaveLength(1);
  });

  it('rolls a template change one node at a time, creating each replacement before the old pod is gone', async () => {
    const { store, events } = start({ nodes: 3 });
    const from = events.length;
    store.mutate('daemonsets', 'kube-system', 'kube-proxy', (o: Any) => { o.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': 'now' }; });
    const ds = await until(() => { const d = store.get('daemonsets', 'kube-system', 'kube-proxy') as Any; return d.status.observedGeneration === 2 && d.status.updatedNumberScheduled === 3 && d.status.numberReady === 3 && d; });
    expect(ds.status.numberUnavailable).toBeUndefined();
    const seq = events.slice(from).filter((e) => e.resource === 'pods');
    // never two nodes down at once: between a deletion mark and the replacement's readiness, no other old pod is marked
    const marked = new Set<string>(), up = new Set<string>();
    let maxDown = 0;
    for (const e of seq) {
      const uid = e.object.metadata.uid as string;
      if (e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp) marked.add(uid);
      if (e.type === 'MODIFIED' && !e.object.metadata.deletionTimestamp && ready(e.object)) up.add(uid);
      maxDown = Math.max(maxDown, marked.size - up.size);
    }
    expect(marked.size).toBe(3);
    expect(maxDown).toBe(1);
    const firstAdd = seq.findIndex((e) => e.type === 'ADDED');
    const firstDel = seq.findIndex((e) => e.type === 'DELETED');
    expect(firstAdd).toBeLessThan(firstDel); // fixture note 14
    expect(seq[firstAdd - 1]!.object.status.phase).toBe('Succeeded');
    const statuses = events.slice(from).filter((e) => e.resource === 'daemonsets').map((e) => e.object.status);
    const observed = statuses.find((st) => st.observedGeneration === 2);
    expect(observed).toMatchObject({ currentNumberScheduled: 3, numberReady: 3 });
    expect(observed.updatedNumberScheduled).toBeUndefined(); // zero fields omitted (fixture note 1)
    expect(statuses[0].observedGeneration).toBe(1); // the write itself does not carry the new observedGeneration (note 4)
    expect(store.list('controllerrevisions', 'kube-system').items).toHaveLength(2);
  });

  it('under OnDelete replaces only a deleted pod; the new kube-proxy reads config.conf and switches the host to IPVS', async () => {
    const { store, c } = start({ nodes: 3, nodesWithoutIpvs: ['k8s-worker-2'] });
    store.mutate('daemonsets', 'kube-system', 'kube-proxy', (o: Any) => { o.spec.updateStrategy = { type: 'OnDelete' }; });
    c.setModeBehindBotsBack('ipvs');
    const old = proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-1')!;
    markDeleting(store, old);
    const fresh = await until(() => proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-1' && p.metadata.uid !== old.metadata.uid && ready(p)));
    expect(proxyPods(store)).toHaveLength(3);
    const log = c.logSource()('kube-system', fresh.metadata.name, 'kube-proxy', {}) as string;
    expect(log).toContain('"Using ipvs Proxier"');
    expect(c.host('k8s-worker-1').proxyMode).toBe('ipvs');
    expect(c.host('k8s-worker-1').kubeIpvs0?.has('10.96.0.1')).toBe(true);
    expect(c.host('k8s-cp-1').proxyMode).toBe('iptables'); // not restarted
    // the node without IPVS crash-loops with the 1.28 message, restartCount going up
    const w2 = proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-2')!;
    markDeleting(store, w2);
    const looping = await until(() => proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-2' && (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 2));
    expect(looping.status.containerStatuses[0].state.waiting.reason).toBe('CrashLoopBackOff');
    expect(c.logSource()('kube-system', looping.metadata.name, 'kube-proxy', {})).toContain("can't use the IPVS proxier");
    expect(c.host('k8s-worker-2').proxyMode).toBe('');
  });

  it('runs a bot prep Job on its node and ends it with the JSON result as termination message', async () => {
    const { store, events } = start({ nodes: 3, mirrorFixtureNodes: true });
    const spec = nodeJobSpec({ runId: 'r1', namespace: 'kube-system' }, { phase: 'prep', node: 'k8s-cp-1', targetMode: 'ipvs' });
    const from = events.length;
    createNodeJob(store, spec);
    const job = await until(() => { const j = store.get('jobs', 'kube-system', spec.name) as Any; return j?.status?.succeeded === 1 && j; });
    expect(job.status.conditions[0]).toMatchObject({ type: 'Complete', status: 'True' });
    const pod = store.list('pods', 'kube-system', { labelSelector: `job-name=${spec.name}` }).items[0] as Any;
    expect(pod.metadata.finalizers).toBeUndefined();
    const result = JSON.parse(pod.status.containerStatuses[0].state.terminated.message);
    expect(result).toMatchObject({ phase: 'prep', node: 'k8s-cp-1', ok: true, modules: { ip_vs: 'loaded', nf_conntrack: 'loaded' } });
    const statuses = events.slice(from).filter((e) => e.resource === 'jobs').map((e) => e.object.status);
    expect(statuses.map((s) => Object.keys(s ?? {}).join(','))).toEqual([
      '', 'startTime,active,uncountedTerminatedPods,ready', 'startTime,active,uncountedTerminatedPods,ready',
      'startTime,uncountedTerminatedPods,ready', 'conditions,startTime,completionTime,succeeded,uncountedTerminatedPods,ready',
    ]);
  });

  it('a node whose Jobs never complete runs into activeDeadlineSeconds (DeadlineExceeded)', async () => {
    const { store, c } = start({ nodes: 2, timeScale: 0.01 });
    c.hangJobsOn('k8s-worker-1');
    const spec = nodeJobSpec({ runId: 'r2', namespace: 'kube-system', activeDeadlineSeconds: 20 }, { phase: 'prep', node: 'k8s-worker-1', targetMode: 'ipvs' });
    createNodeJob(store, spec);
    const job = await until(() => { const j = store.get('jobs', 'kube-system', spec.name) as Any; return j?.status?.conditions && j; });
    expect(job.status).toMatchObject({ failed: 1, ready: 1, conditions: [{ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] });
  });

  it('a crash-looping kube-proxy fault and a NotReady node', async () => {
    const { store, c } = start({ nodes: 2 });
    c.crashKubeProxyOn('k8s-worker-1');
    markDeleting(store, proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-1')!);
    await until(() => proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-1' && p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'));
    c.setNodeReady('k8s-cp-1', false);
    const n = store.get('nodes', undefined, 'k8s-cp-1') as Any;
    expect(n.status.conditions.find((x: Any) => x.type === 'Ready').status).toBe('Unknown');
    expect(n.spec.taints.map((t: Any) => t.key)).toContain('node.kubernetes.io/unreachable');
  });

  it('seeds extra workloads, NotReady nodes and foreign IPVS services; a NotReady node\'s kube-proxy starts once it is Ready', async () => {
    const { store, c } = start({ nodes: 3, extraWorkloads: ['calico-node', 'metallb-speaker'], notReady: ['k8s-worker-2'],
      foreignIpvsServices: [{ node: 'k8s-worker-1', address: '192.168.10.5', port: 80 }] });
    expect(store.list('pods', 'kube-system', { labelSelector: 'k8s-app=calico-node' }).items).toHaveLength(3);
    expect(store.list('daemonsets', 'metallb-system').items.map((d) => d.metadata.name)).toEqual(['speaker']);
    expect(c.host('k8s-worker-1').foreignIpvs().map((v) => `${v.address}:${v.port}`)).toEqual(['192.168.10.5:80']);
    const w2 = () => proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-2')!;
    expect(w2().status.phase).toBe('Pending');
    expect((store.get('daemonsets', 'kube-system', 'kube-proxy') as Any).status).toMatchObject({ numberReady: 2, numberUnavailable: 1 });
    c.setNodeReady('k8s-worker-2', true);
    await until(() => ready(w2()));
    expect(c.host('k8s-worker-2').proxyMode).toBe('iptables');
  });

  it('ttlSecondsAfterFinished deletes a finished Job in the foreground; DELETE without a body orphans the pods', async () => {
    const { store } = start({ nodes: 2, timeScale: 0.01 });
    const ttl = nodeJobSpec({ runId: 'ttl', namespace: 'kube-system' }, { phase: 'prep', node: 'k8s-worker-1', targetMode: 'ipvs' });
    (ttl.manifest as Any).spec.ttlSecondsAfterFinished = 5;
    createNodeJob(store, ttl);
    await until(() => !store.get('jobs', 'kube-system', ttl.name) && store.list('pods', 'kube-system', { labelSelector: `job-name=${ttl.name}` }).items.length === 0);
    const keep = nodeJobSpec({ runId: 'orphan', namespace: 'kube-system' }, { phase: 'prep', node: 'k8s-worker-1', targetMode: 'ipvs' });
    createNodeJob(store, keep);
    await until(() => (store.get('jobs', 'kube-system', keep.name) as Any)?.status?.succeeded === 1);
    expect(deleteObject(store, 'jobs', 'kube-system', keep.name, {}).code).toBe(200); // what the API does for a DELETE with no body
    await until(() => !store.get('jobs', 'kube-system', keep.name));
    const orphans = store.list('pods', 'kube-system', { labelSelector: `job-name=${keep.name}` }).items;
    expect(orphans).toHaveLength(1);
    expect(orphans[0]!.metadata.ownerReferences).toBeUndefined();
  });
});
