// The sandbox API server driven by the real @kubernetes/client-node 1.4 over HTTP: CRUD, optimistic concurrency,
// the three patch types, Job defaults, watches (resume, 410, selector transitions), 403/SSAR with a restricted token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiException, AppsV1Api, AuthorizationV1Api, BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startTestApi, type TestApi } from './contract/harness.js';

function kubeConfig(url: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'ctx', cluster: 'sandbox', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

async function status(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try { await p; } catch (e) {
    if (e instanceof ApiException) return { code: e.code, body: (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as Record<string, unknown> };
    throw e;
  }
  throw new Error('expected the call to fail');
}

type Ev = { type: string; name: string; rv: string; labels?: Record<string, string> };
async function collectWatch(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>, act: () => Promise<void>, until: (evs: Ev[]) => boolean): Promise<Ev[]> {
  const evs: Ev[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  const req = await new Watch(kc).watch(path, query, (type, obj: { metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> } }) => {
    evs.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '', ...(obj.metadata?.labels ? { labels: obj.metadata.labels } : {}) });
    if (until(evs)) done();
  }, () => done());
  await act();
  await Promise.race([finished, new Promise((r) => setTimeout(r, 5000))]);
  req.abort();
  return evs;
}

describe('sandbox API server with @kubernetes/client-node', () => {
  let api: TestApi;
  let kc: KubeConfig;
  let core: CoreV1Api;
  beforeAll(async () => {
    api = await startTestApi({ store: { historyLimit: 50 } });
    kc = kubeConfig(api.url, api.token);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => { await api.close(); });

  it('reads the kubeadm ConfigMap and lists nodes with a label selector', async () => {
    const cm = await core.readNamespacedConfigMap({ name: 'kube-proxy', namespace: 'kube-system' });
    expect(cm.data?.['config.conf']).toContain('kind: KubeProxyConfiguration');
    const workers = await core.listNode({ labelSelector: '!node-role.kubernetes.io/control-plane' });
    expect(workers.items.map((n) => n.metadata?.name)).toEqual(['k8s-worker-1', 'k8s-worker-2']);
    const page = await core.listNode({ limit: 2 });
    expect(page.items).toHaveLength(2);
    const rest = await core.listNode({ limit: 2, _continue: page.metadata!._continue! });
    expect(rest.items.map((n) => n.metadata?.name)).toEqual(['k8s-worker-2']);
    expect(rest.metadata?._continue).toBeUndefined();
  });

  it('answers 409 Conflict to a PUT with a stale resourceVersion, 200 to an unconditional one', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'rv-test' }, data: { a: '1' } } });
    const stale: V1ConfigMap = structuredClone(cm);
    await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'rv-test', body: { ...cm, data: { a: '2' } } });
    const err = await status(core.replaceNamespacedConfigMap({ namespace: 'default', name: 'rv-test', body: { ...stale, data: { a: '3' } } }));
    expect(err.code).toBe(409);
    expect(err.body).toMatchObject({ kind: 'Status', reason: 'Conflict', details: { name: 'rv-test', kind: 'configmaps' } });
    const noRv = { ...stale, metadata: { ...stale.metadata, resourceVersion: undefined } };
    const ok = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'rv-test', body: { ...noRv, data: { a: '4' } } });
    expect(ok.data).toEqual({ a: '4' });
    const again = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'rv-test', body: { ...noRv, data: { a: '4' } } });
    expect(again.metadata?.resourceVersion).toBe(ok.metadata?.resourceVersion); // a no-op write keeps the RV
  });

  it('applies merge, strategic and JSON patches to the DaemonSet, bumping generation only on spec change', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const before = await apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' });
    const merge = await apps.patchNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system', body: { spec: { updateStrategy: { type: 'OnDelete' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(merge.spec?.updateStrategy).toEqual({ type: 'OnDelete', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(merge.metadata?.generation).toBe(before.metadata!.generation! + 1);
    const smp = await apps.patchNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system',
      body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } }, spec: { containers: [{ name: 'kube-proxy', env: [{ name: 'X', value: '1' }] }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    const c = smp.spec?.template.spec?.containers[0];
    expect(c?.image).toBe(before.spec?.template.spec?.containers[0]?.image); // merged by name, not replaced
    expect(c?.env?.map((e) => e.name)).toEqual([...(before.spec?.template.spec?.containers[0]?.env ?? []).map((e) => e.name), 'X']);
    expect(smp.metadata?.annotations?.['deprecated.daemonset.template.generation']).toBe('2');
    const noop = await apps.patchNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system', body: [{ op: 'replace', path: '/spec/updateStrategy/type', value: 'OnDelete' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    expect(noop.metadata?.resourceVersion).toBe(smp.metadata?.resourceVersion);
    const bad = await status(apps.patchNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system', body: [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)));
    expect(bad).toMatchObject({ code: 422, body: { reason: 'Invalid', message: 'the server rejected our request due to an error in our request' } });
  });

  it('defaults a Job like the apiserver and deletes it with orphan propagation by default', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const job = await batch.createNamespacedJob({ namespace: 'kube-system', body: { metadata: { name: 'j1' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } } } } });
    expect(job.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': job.metadata?.uid });
    expect(job.spec?.template.metadata?.labels?.['job-name']).toBe('j1');
    expect(job.spec).toMatchObject({ parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    await batch.deleteNamespacedJob({ namespace: 'kube-system', name: 'j1' });
    const left = api.store.peek('jobs', 'kube-system', 'j1');
    expect(left?.metadata.finalizers).toEqual(['orphan']); // the garbage collector (H2's job controller) finishes it
    expect(left?.metadata.deletionTimestamp).toBeDefined();
    expect(left?.metadata.generation).toBe(2);
  });

  it('streams watch events, resumes from a resourceVersion and reports 410 for a compacted one', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const rv = list.metadata!.resourceVersion!;
    const evs = await collectWatch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: rv }, async () => {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1' }, data: {} } });
      await core.patchNamespacedConfigMap({ namespace: 'default', name: 'w1', body: { data: { k: 'v' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'w1' });
    }, (e) => e.length >= 3);
    expect(evs.map((e) => [e.type, e.name])).toEqual([['ADDED', 'w1'], ['MODIFIED', 'w1'], ['DELETED', 'w1']]);
    // Resume after the first event: only the later two are replayed.
    const resumed = await collectWatch(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: evs[0]!.rv }, async () => {}, (e) => e.length >= 2);
    expect(resumed.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    // Push the history window (50 events) past rv.
    for (let i = 0; i < 60; i++) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `fill-${i}` } } });
    const expired: { type: string; code?: number; reason?: string }[] = [];
    await new Promise<void>((resolve) => {
      void new Watch(kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv },
        (type, obj: { code?: number; reason?: string }) => { expired.push({ type, code: obj.code, reason: obj.reason }); }, () => resolve());
    });
    expect(expired).toEqual([{ type: 'ERROR', code: 410, reason: 'Expired' }]);
  });

  it('reports label-selector transitions as DELETED/ADDED (fixture watch/labelSelector-transitions)', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'stage-cm', labels: { stage: 'a' } } } });
    const setStage = (stage: string, extra: Record<string, string> = {}) => core.patchNamespacedConfigMap({ namespace: 'default', name: 'stage-cm',
      body: { metadata: { labels: { stage } }, data: extra } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const evs = await collectWatch(kc, '/api/v1/namespaces/default/configmaps', { labelSelector: 'stage=a', resourceVersion: (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion }, async () => {
      await setStage('a', { x: '1' });
      await setStage('b');
      await setStage('b', { x: '2' });
      await setStage('a');
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'stage-cm' });
    }, (e) => e.length >= 4);
    expect(evs.map((e) => [e.type, e.labels?.stage])).toEqual([['MODIFIED', 'a'], ['DELETED', 'a'], ['ADDED', 'a'], ['DELETED', 'a']]);
  });

  it('forbids a restricted token what its rules do not allow, with the real 403 body, and answers SSAR by the same rules', async () => {
    const rkc = kubeConfig(api.url, api.restrictedToken);
    const rcore = rkc.makeApiClient(CoreV1Api);
    expect((await rcore.readNamespacedConfigMap({ name: 'kube-proxy', namespace: 'kube-system' })).metadata?.name).toBe('kube-proxy');
    const denied = await status(rcore.patchNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-proxy', body: { data: { x: 'y' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
    expect(denied).toEqual({ code: 403, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
      message: 'configmaps "kube-proxy" is forbidden: User "system:serviceaccount:kube-system:ipvs-bot-readonly" cannot patch resource "configmaps" in API group "" in the namespace "kube-system"',
      details: { name: 'kube-proxy', kind: 'configmaps' } } });
    const authz = rkc.makeApiClient(AuthorizationV1Api);
    const ask = (verb: string, resource: string, group = '') => authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: 'kube-system', verb, resource, group } } } });
    expect((await ask('patch', 'configmaps')).status).toEqual({ allowed: false });
    expect((await ask('get', 'configmaps')).status?.allowed).toBe(true);
    expect((await ask('get', 'daemonsets', 'apps')).status?.allowed).toBe(true);
    expect((await ask('get', 'daemonsets')).status?.allowed).toBe(false); // core group has no daemonsets
    const bad = await status(kubeConfig(api.url, 'not-a-token').makeApiClient(CoreV1Api).listNode());
    expect(bad.code).toBe(401);
    const raw = await api.fetch('/api/v1/nodes', { token: 'not-a-token' });
    expect(await raw.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });
});
