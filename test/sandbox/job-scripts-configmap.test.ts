// Node Jobs mount their scripts from a ConfigMap: the sandbox's kubelet treats that volume like a real one (no
// ConfigMap → the pod stays ContainerCreating with FailedMount events; a file the ConfigMap lacks → bash exits 127),
// so the bot's Jobs only run when the bot created the ConfigMap first.
import { afterEach, describe, expect, it } from 'vitest';
import { K8sCluster } from '../../src/k8s/k8s-cluster.js';
import { NODE_SCRIPTS_CONFIG_MAP, createNodeJobFactory, nodeJobSpec } from '../../src/k8s/node-jobs.js';
import { SimCluster } from '../../src/sandbox/cluster-sim.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ObjectStore, type K8sObject } from '../../src/sandbox/object-store.js';
import { createScriptsConfigMap } from './support/create-node-job.js';
import { until } from './support/until.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let cluster: SimCluster | undefined;
let sb: Sandbox | undefined;
afterEach(async () => { cluster?.stop(); cluster = undefined; await sb?.stop(); sb = undefined; });

function start() {
  const store = new ObjectStore();
  cluster = new SimCluster(store, { nodes: 2, stepMs: 5, jobBackoffMs: 10 });
  cluster.start();
  return store;
}


const podOf = (store: ObjectStore, job: string) => store.list('pods', 'kube-system', { labelSelector: `job-name=${job}` }).items[0] as Any | undefined;
const failedMounts = (store: ObjectStore, ns: string) => (store.list('events', ns).items as Any[]).filter((e) => e.reason === 'FailedMount');

describe('sandbox: node Jobs and their scripts ConfigMap', () => {
  it('a Job pod whose scripts ConfigMap is missing stays ContainerCreating with FailedMount events, and runs once it exists', async () => {
    const store = start();
    const spec = nodeJobSpec({ runId: 'r1', namespace: 'kube-system' }, { phase: 'prep', node: 'k8s-worker-1', targetMode: 'ipvs' });
    store.create('jobs', spec.manifest as K8sObject); // the Job alone, as a bot that forgot the ConfigMap would do
    const events = await until(() => { const e = failedMounts(store, 'kube-system'); return e[0]?.count >= 3 && e; });
    expect(events).toHaveLength(1); // one event, counted up per retry (the event recorder's aggregation)
    const pod = podOf(store, spec.name)!;
    expect(events[0]).toMatchObject({
      type: 'Warning', reason: 'FailedMount', source: { component: 'kubelet', host: 'k8s-worker-1' },
      involvedObject: { kind: 'Pod', name: pod.metadata.name, namespace: 'kube-system', uid: pod.metadata.uid },
      message: `MountVolume.SetUp failed for volume "ipvs-bot-scripts" : configmap "${NODE_SCRIPTS_CONFIG_MAP.name}" not found`,
    });
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses[0].state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect((store.get('jobs', 'kube-system', spec.name) as Any).status.conditions).toBeUndefined();

    createScriptsConfigMap(store, 'kube-system', NODE_SCRIPTS_CONFIG_MAP);
    const job = await until(() => { const j = store.get('jobs', 'kube-system', spec.name) as Any; return j?.status?.succeeded === 1 && j; });
    expect(job.status.conditions[0]).toMatchObject({ type: 'Complete', status: 'True' });
    const message = podOf(store, spec.name)!.status.containerStatuses[0].state.terminated.message as string;
    expect(JSON.parse(message)).toMatchObject({ phase: 'prep', node: 'k8s-worker-1', ok: true });
  });

  it('a Job whose command names a file its ConfigMap does not hold fails like bash does (exit 127)', async () => {
    const store = start();
    createScriptsConfigMap(store, 'kube-system', NODE_SCRIPTS_CONFIG_MAP);
    const spec = nodeJobSpec({ runId: 'r2', namespace: 'kube-system' }, { phase: 'prep', node: 'k8s-worker-1', targetMode: 'ipvs' });
    const m = structuredClone(spec.manifest) as Any;
    m.spec.template.spec.containers[0].command = ['/bin/bash', '/ipvs-bot/no-such-phase.sh'];
    store.create('jobs', m as K8sObject);
    const job = await until(() => { const j = store.get('jobs', 'kube-system', spec.name) as Any; return j?.status?.conditions && j; });
    expect(job.status).toMatchObject({ failed: 2, conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded' }] });
    const term = podOf(store, spec.name)!.status.containerStatuses[0].state.terminated;
    expect(term).toMatchObject({ exitCode: 127, message: '/bin/bash: /ipvs-bot/no-such-phase.sh: No such file or directory' });
  });

  it('K8sCluster.ensureJob creates the immutable scripts ConfigMap before the first Job, so the Jobs run without a FailedMount', async () => {
    sb = await startSandbox({ nodes: 3, stepMs: 5 });
    const order: string[] = [];
    sb.store.subscribe((e) => { if (e.type === 'ADDED' && (e.resource === 'configmaps' || e.resource === 'jobs')) order.push(`${e.resource}/${e.object.metadata.name}`); });
    const k8s = K8sCluster.fromKubeconfig({ kubeconfig: sb.kubeconfigPath });
    const jobs = createNodeJobFactory({ runId: 'cm-order' });
    const specs = sb.cluster.nodes.map((n) => jobs.prep(n.name, { scheduler: 'rr', targetMode: 'ipvs' }));
    await Promise.all(specs.map((s) => k8s.ensureJob(s)));
    const results = await k8s.waitForJobs(jobs.namespace, specs.map((s) => s.name), { timeoutMs: 30_000 });
    expect(results.map((r) => [r.outcome, r.result?.ok])).toEqual(specs.map(() => ['succeeded', true]));
    expect(order[0]).toBe(`configmaps/${NODE_SCRIPTS_CONFIG_MAP.name}`);
    expect(order.filter((o) => o.startsWith('configmaps/'))).toHaveLength(1); // one ConfigMap for all the Jobs
    const cm = sb.store.get('configmaps', jobs.namespace, NODE_SCRIPTS_CONFIG_MAP.name) as Any;
    expect(cm.immutable).toBe(true);
    expect(cm.data).toEqual(NODE_SCRIPTS_CONFIG_MAP.data);
    expect(failedMounts(sb.store, jobs.namespace)).toEqual([]);
  });
});
