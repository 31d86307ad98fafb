// The simulated controllers compared with what the real v1.28.7 controllers did (fixtures daemonset/ and job/,
// reduced to one row per watch event in contract-controllers.fixtures.json): event order, pod phases, deletion
// steps, finalizers, DaemonSet status counters and Job status objects.
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStore, type K8sObject } from '../../src/sandbox/object-store.js';
import { SimCluster } from '../../src/sandbox/cluster-sim.js';
import { NODE_SCRIPTS_CONFIG_MAP, nodeJobSpec } from '../../src/k8s/node-jobs.js';
import { createScriptsConfigMap } from './support/create-node-job.js';
import { until as untilIn } from './support/until.js';
import FX from './contract-controllers.fixtures.json' with { type: 'json' };

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Ev = { type: string; resource: string; object: Any };
let cluster: SimCluster | undefined;
afterEach(() => { cluster?.stop(); cluster = undefined; });

function start(o: Record<string, unknown> = {}) {
  const store = new ObjectStore();
  const events: Ev[] = [];
  store.subscribe((e) => events.push({ type: e.type, resource: e.resource, object: structuredClone(e.object) as Any }));
  cluster = new SimCluster(store, { nodes: 3, mirrorFixtureNodes: true, stepMs: 20, jobBackoffMs: 30, ...o });
  cluster.start();
  createScriptsConfigMap(store, 'kube-system', NODE_SCRIPTS_CONFIG_MAP); // what the bot creates before its Jobs
  return { store, c: cluster, events };
}

const until = <T>(fn: () => T | undefined | false, ms = 15_000): Promise<T> => untilIn(fn, ms);
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

/** Node names become n1, n2, … in order of appearance (which node goes first is the controller's choice). */
function nodeLetters(rows: unknown[][]): unknown[][] {
  const nodes = new Map<unknown, string>();
  return rows.map((r) => {
    if (r[2] !== null && !nodes.has(r[2])) nodes.set(r[2], `n${nodes.size + 1}`);
    return [...r.slice(0, 2), r[2] === null ? null : nodes.get(r[2]), ...r.slice(3)];
  });
}

/** Same projection as the fixture rows; pod names become A, B, … in order of appearance. */
function podRows(evs: Ev[]): unknown[][] {
  const names = new Map<string, string>();
  return nodeLetters(evs.filter((e) => e.resource === 'pods').map((e) => {
    const o = e.object;
    const cs = (o.status?.containerStatuses ?? [{}])[0] ?? {};
    if (!names.has(o.metadata.name)) names.set(o.metadata.name, String.fromCharCode(65 + names.size));
    return [e.type, names.get(o.metadata.name), o.spec.nodeName ?? null, !!o.metadata.deletionTimestamp, o.metadata.deletionGracePeriodSeconds ?? null,
      o.status?.phase ?? null, cs.state ? Object.keys(cs.state)[0] : null, o.metadata.finalizers ?? null];
  }));
}
function fixturePodRows(rows: unknown[][]): unknown[][] {
  const names = new Map<unknown, string>();
  return nodeLetters(rows.map((r) => {
    if (!names.has(r[1])) names.set(r[1], String.fromCharCode(65 + names.size));
    return [r[0], names.get(r[1]), ...r.slice(2)];
  }));
}
const dsRows = (evs: Ev[]) => evs.filter((e) => e.resource === 'daemonsets').map((e) => {
  const o = e.object, s = o.status;
  return [o.metadata.generation, s.observedGeneration ?? null, s.desiredNumberScheduled, s.currentNumberScheduled, s.updatedNumberScheduled ?? null, s.numberReady, s.numberAvailable ?? null, s.numberUnavailable ?? null];
});
/** Job rows with times and uids abstracted. */
const jobRow = (type: string, fin: unknown, status: unknown) =>
  [type, fin, JSON.parse(JSON.stringify(status ?? {}).replace(/"\d{4}-\d\d-\d\dT[\d:]+Z"/g, '"T"').replace(/"[0-9a-f]{8}-[0-9a-f-]{27}"/g, '"U"'))];
const jobRows = (evs: Ev[]) => evs.filter((e) => e.resource === 'jobs').map((e) => jobRow(e.type, e.object.metadata.finalizers ?? null, e.object.status));
const fixtureJobRows = (rows: unknown[][]) => rows.map((r) => jobRow(r[0] as string, r[1], r[2]));

/** Every fixture row appears in ours, in the same order (the real controller coalesces some writes differently). */
function expectSubsequence(ours: unknown[][], theirs: unknown[][]) {
  let i = 0;
  for (const row of ours) if (i < theirs.length && JSON.stringify(row) === JSON.stringify(theirs[i])) i++;
  expect(theirs.slice(i), `fixture rows not found in order; ours:\n${ours.map((r) => JSON.stringify(r)).join('\n')}`).toEqual([]);
}

const proxyPods = (store: ObjectStore) => store.list('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' }).items as Any[];
const ready = (p: Any) => (p.status?.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status === 'True');

function botJob(name: string, node: string, extra: { activeDeadlineSeconds?: number } = {}): K8sObject {
  const m = nodeJobSpec({ runId: 'contract', namespace: 'kube-system', ...extra }, { phase: 'prep', node, targetMode: 'ipvs' }).manifest as Any;
  m.metadata.name = name;
  delete m.spec.template.spec.terminationGracePeriodSeconds; // the fixture Jobs used the default 30 s
  m.status = {}; // what the API server stores on create
  return m as K8sObject;
}

describe('controllers vs the real v1.28.7 controllers (fixtures)', () => {
  it('kubectl rollout restart: the pod watch matches event for event, the DaemonSet status rows appear in order', async () => {
    const { store, events } = start();
    const from = events.length;
    store.mutate('daemonsets', 'kube-system', 'kube-proxy', (o: Any) => { o.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-11-25T06:43:38Z' }; });
    await until(() => { const d = store.get('daemonsets', 'kube-system', 'kube-proxy') as Any; return d.status.observedGeneration === 2 && d.status.updatedNumberScheduled === 3 && d.status.numberReady === 3; });
    await settle();
    const evs = events.slice(from);
    expect(podRows(evs)).toEqual(fixturePodRows(FX.rolloutPods));
    expectSubsequence(dsRows(evs), FX.rolloutDaemonSet);
    expect(proxyPods(store).every((p) => p.metadata.labels['pod-template-generation'] === '2')).toBe(true);
  });

  it('OnDelete: a deleted pod is replaced from the newest revision, in the fixture order', async () => {
    const { store, events } = start();
    store.mutate('daemonsets', 'kube-system', 'kube-proxy', (o: Any) => { o.spec.updateStrategy = { type: 'OnDelete' }; });
    store.mutate('daemonsets', 'kube-system', 'kube-proxy', (o: Any) => { o.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': 'x' }; });
    await settle(100);
    expect(proxyPods(store).every((p) => p.metadata.labels['pod-template-generation'] === '1')).toBe(true); // no pod replaced
    const from = events.length;
    const old = proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-1')!;
    store.mutate('pods', 'kube-system', old.metadata.name, (o) => { o.metadata.deletionTimestamp = new Date(Date.now() + 30_000).toISOString(); o.metadata.deletionGracePeriodSeconds = 30; });
    const fresh = await until(() => proxyPods(store).find((p) => p.spec.nodeName === 'k8s-worker-1' && p.metadata.uid !== old.metadata.uid && ready(p)));
    await settle();
    expect(fresh.metadata.labels['pod-template-generation']).toBe('2');
    const evs = events.slice(from);
    expect(podRows(evs)).toEqual(fixturePodRows(FX.onDeletePods));
    const ours = dsRows(evs).map((r) => r.slice(2)); // generations differ from the fixture's run (10 there)
    expectSubsequence(ours, FX.onDeleteDaemonSet.map((r) => r.slice(2)));
  });

  it('Job success: Job and pod watches match row for row', async () => {
    const { store, events } = start();
    const from = events.length;
    store.create('jobs', botJob('ipvs-prep-k8s-worker-1', 'k8s-worker-1'));
    await until(() => (store.get('jobs', 'kube-system', 'ipvs-prep-k8s-worker-1') as Any).status?.succeeded === 1);
    await settle(100);
    const evs = events.slice(from);
    expect(jobRows(evs)).toEqual(fixtureJobRows(FX.jobSuccess));
    expect(podRows(evs)).toEqual(fixturePodRows(FX.jobSuccessPods));
  });

  it('Job failure with backoffLimit 1: replacement pod after the back-off, then BackoffLimitExceeded', async () => {
    const { store, events, c } = start();
    c.failJobsOn('k8s-worker-2');
    const from = events.length;
    store.create('jobs', botJob('ipvs-prep-k8s-worker-2', 'k8s-worker-2'));
    await until(() => (store.get('jobs', 'kube-system', 'ipvs-prep-k8s-worker-2') as Any).status?.conditions);
    await settle(100);
    const evs = events.slice(from);
    expect(jobRows(evs)).toEqual(fixtureJobRows(FX.jobFailed));
    expect(podRows(evs)).toEqual(fixturePodRows(FX.jobFailedPods));
  });

  it('Job past activeDeadlineSeconds: the running pod is deleted, DeadlineExceeded keeps ready 1', async () => {
    const { store, events, c } = start({ timeScale: 0.01 });
    c.hangJobsOn('k8s-cp-1');
    const from = events.length;
    store.create('jobs', botJob('ipvs-prep-deadline', 'k8s-cp-1', { activeDeadlineSeconds: 30 }));
    await until(() => (store.get('jobs', 'kube-system', 'ipvs-prep-deadline') as Any).status?.conditions);
    await until(() => !store.list('pods', 'kube-system', { labelSelector: 'job-name=ipvs-prep-deadline' }).items.length);
    await settle(100);
    const evs = events.slice(from);
    expect(jobRows(evs)).toEqual(fixtureJobRows(FX.jobDeadline));
    expect(podRows(evs)).toEqual(fixturePodRows(FX.jobDeadlinePods));
  });
});
