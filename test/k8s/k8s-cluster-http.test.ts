// K8sCluster over real HTTP with the real client-node, against a small strict API stand-in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { K8sError } from '../../src/k8s/errors.js';
import { K8sCluster, loadKubeConfig } from '../../src/k8s/k8s-cluster.js';
import { nodeJobSpec } from '../../src/k8s/node-jobs.js';
import { startMiniApi, type MiniApi } from './support/mini-api-server.js';

type AnyObj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let api: MiniApi;
let dir: string;
const fast = { retry: { baseDelayMs: 1, maxDelayMs: 5 } };

function cluster(token = 'admin-token'): K8sCluster {
  const path = join(dir, `kubeconfig-${token}`);
  writeFileSync(path, api.kubeconfig(token));
  return new K8sCluster(loadKubeConfig({ kubeconfig: path }), fast);
}
const node = (name: string, kernel: string) => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { nodeInfo: { kernelVersion: kernel, osImage: 'Debian', containerRuntimeVersion: 'containerd://1.7', kubeletVersion: 'v1.28.7', kubeProxyVersion: 'v1.28.7' }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const kubeProxyPod = (name: string, nodeName: string, state: 'ready' | 'starting' | 'crash') => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
  spec: { nodeName },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: state === 'ready' ? 'True' : 'False' }],
    containerStatuses: [{ name: 'kube-proxy', restartCount: state === 'crash' ? 4 : 0, state: state === 'crash' ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: {} } }],
  },
});
const until = async (f: () => boolean) => { for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10)); };

beforeEach(async () => {
  api = await startMiniApi();
  dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-k8s-'));
  api.put('nodes', node('k8s-cp-1', '6.1.0-27-amd64'));
  api.put('nodes', node('k8s-worker-1', '3.10.0-1160.el7.x86_64'));
  api.put('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': 'mode: ""\n', 'kubeconfig.conf': 'x' } });
  api.put('daemonsets', {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-proxy', namespace: 'kube-system', generation: 1 },
    spec: { selector: { matchLabels: { 'k8s-app': 'kube-proxy' } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, template: { spec: { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.28.7' }] } } },
  });
});
afterEach(async () => {
  expect(api.unexpected).toEqual([]);
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('src/k8s/k8s-cluster over HTTP', () => {
  it('reads version, cluster uid and nodes', async () => {
    const c = cluster();
    expect(await c.version()).toEqual({ gitVersion: 'v1.28.7', major: '1', minor: '28' });
    expect(await c.clusterUid()).toBe(api.get('namespaces', undefined, 'kube-system')!.metadata.uid);
    const nodes = await c.listNodes();
    expect(nodes.map((n) => [n.name, n.kernelVersion, n.ready])).toEqual([['k8s-cp-1', '6.1.0-27-amd64', true], ['k8s-worker-1', '3.10.0-1160.el7.x86_64', true]]);
    expect(c.stats().requests).toMatchObject({ get: 2, list: 1 });
  });

  it('patches config.conf with a resourceVersion precondition and surfaces a stale one as Conflict without retrying', async () => {
    const c = cluster();
    const before = await c.getConfigMap('kube-system', 'kube-proxy');
    const after = await c.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', 'mode: "ipvs"\n', before.resourceVersion);
    expect(after.data).toEqual({ 'config.conf': 'mode: "ipvs"\n', 'kubeconfig.conf': 'x' });
    expect(Number(after.resourceVersion)).toBeGreaterThan(Number(before.resourceVersion));
    const patches = c.stats().requests.patch;
    const stale = await c.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', 'mode: ""\n', before.resourceVersion).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(K8sError);
    expect(stale).toMatchObject({ kind: 'Conflict', status: 409, retryable: false });
    expect(c.stats().requests.patch).toBe(patches + 1);
    expect(api.get('configmaps', 'kube-system', 'kube-proxy')!.data['config.conf']).toBe('mode: "ipvs"\n');
    // the same value with a stale resourceVersion (a retry after a lost answer) is already done, not a conflict
    const same = await c.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', 'mode: "ipvs"\n', before.resourceVersion);
    expect(same.resourceVersion).toBe(after.resourceVersion);
  });

  it('sets the DaemonSet update strategy idempotently (no write when already set)', async () => {
    const c = cluster();
    const onDelete = await c.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'OnDelete' });
    expect(onDelete.updateStrategy.type).toBe('OnDelete');
    expect(onDelete.generation).toBe(2);
    const again = await c.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'OnDelete' });
    expect(again.resourceVersion).toBe(onDelete.resourceVersion);
    expect(c.stats().requests.patch).toBe(1);
    const restored = await c.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(restored.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });

  it('deletes a kube-proxy pod and waits for its replacement on that node with one list and one watch', async () => {
    const c = cluster();
    const old = api.put('pods', kubeProxyPod('kube-proxy-aaaaa', 'k8s-worker-1', 'ready'));
    api.put('pods', kubeProxyPod('kube-proxy-bbbbb', 'k8s-cp-1', 'ready'));
    const [pod] = await c.listPods('kube-system', 'k8s-app=kube-proxy').then((p) => p.filter((x) => x.nodeName === 'k8s-worker-1'));
    await c.deletePod('kube-system', pod!.name, pod!.uid);
    expect(api.get('pods', 'kube-system', 'kube-proxy-aaaaa')).toBeUndefined();
    await c.deletePod('kube-system', pod!.name, pod!.uid); // already gone: fine
    await c.deletePod('kube-system', 'kube-proxy-bbbbb', 'uid-of-an-older-pod'); // name reused by another pod: not ours, kept
    expect(api.get('pods', 'kube-system', 'kube-proxy-bbbbb')).toBeDefined();
    const before = c.stats().requests;
    const wait = c.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { notUid: old.metadata.uid, timeoutMs: 10_000 });
    await until(() => api.requests.some((r) => r.includes('(watch')));
    api.put('pods', kubeProxyPod('kube-proxy-ccccc', 'k8s-worker-1', 'starting'));
    api.put('pods', kubeProxyPod('kube-proxy-ddddd', 'k8s-cp-1', 'ready')); // another node: ignored
    api.put('pods', kubeProxyPod('kube-proxy-ccccc', 'k8s-worker-1', 'ready'));
    const ready = await wait;
    expect(ready).toMatchObject({ name: 'kube-proxy-ccccc', nodeName: 'k8s-worker-1', ready: true });
    const after = c.stats().requests;
    expect([after.list - before.list, after.watch - before.watch]).toEqual([1, 1]);
  });

  it('returns a crash-looping replacement pod instead of waiting for Ready', async () => {
    const c = cluster();
    api.put('pods', kubeProxyPod('kube-proxy-eeeee', 'k8s-worker-1', 'crash'));
    const p = await c.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { timeoutMs: 5_000 });
    expect(p).toMatchObject({ ready: false, reason: 'CrashLoopBackOff', restartCount: 4 });
  });

  it('re-lists when the watch resourceVersion expired (410) and still finds the pod', async () => {
    const c = cluster();
    api.faults.expireWatchFrom = api.rv() + 1000;
    const wait = c.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { timeoutMs: 10_000 });
    await until(() => c.stats().relists >= 1);
    api.faults.expireWatchFrom = undefined;
    api.put('pods', kubeProxyPod('kube-proxy-fffff', 'k8s-worker-1', 'ready'));
    expect((await wait).name).toBe('kube-proxy-fffff');
    expect(c.stats().relists).toBeGreaterThanOrEqual(1);
  });

  it('resumes a watch the server ended from the last resourceVersion, without re-listing', async () => {
    const path = join(dir, 'kc-short');
    writeFileSync(path, api.kubeconfig());
    const c = new K8sCluster(loadKubeConfig({ kubeconfig: path }), { ...fast, watchTimeoutSeconds: 1 });
    const wait = c.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { timeoutMs: 10_000 });
    await until(() => api.requests.some((r) => r.includes('(watch')));
    const seen = api.put('pods', kubeProxyPod('kube-proxy-ggggg', 'k8s-worker-1', 'starting')).metadata.resourceVersion;
    await until(() => c.stats().watchReconnects >= 1);
    api.put('pods', kubeProxyPod('kube-proxy-ggggg', 'k8s-worker-1', 'ready'));
    expect((await wait).name).toBe('kube-proxy-ggggg');
    expect(c.stats()).toMatchObject({ relists: 0, requests: { list: 1 } });
    const watches = api.requests.filter((r) => r.includes('/pods (watch'));
    expect(watches.length).toBeGreaterThanOrEqual(2);
    expect(watches[1]).toBe(`GET /api/v1/namespaces/kube-system/pods (watch from ${seen})`);
  });

  it('waits for a whole batch of nodes with one list and one watch, settling each node on its own', async () => {
    const c = cluster();
    api.put('nodes', node('k8s-worker-2', '6.1.0-27-amd64'));
    const old1 = api.put('pods', kubeProxyPod('kube-proxy-w1old', 'k8s-worker-1', 'ready'));
    api.put('pods', kubeProxyPod('kube-proxy-cp', 'k8s-cp-1', 'ready')); // not in the batch: ignored
    const before = c.stats().requests;
    const settled: string[] = [];
    const wait = c.waitForPodsOnNodes('kube-system', 'k8s-app=kube-proxy', [
      { node: 'k8s-worker-1', notUid: old1.metadata.uid }, { node: 'k8s-worker-2' }, { node: 'k8s-worker-3' },
    ], { timeoutMs: 1_500, onSettled: (o) => settled.push(`${o.node}:${o.pod ? (o.pod.ready ? 'ready' : o.pod.reason) : o.error.name}`) });
    await until(() => api.requests.some((r) => r.includes('(watch')));
    api.put('pods', kubeProxyPod('kube-proxy-w2', 'k8s-worker-2', 'crash'));
    api.put('pods', kubeProxyPod('kube-proxy-w1new', 'k8s-worker-1', 'starting'));
    await until(() => settled.length === 1);
    expect(settled).toEqual(['k8s-worker-2:CrashLoopBackOff']); // heard at once, while the others still wait
    api.put('pods', kubeProxyPod('kube-proxy-w1new', 'k8s-worker-1', 'ready'));
    const out = await wait;
    expect(out.map((o) => [o.node, o.pod?.name, o.pod?.ready])).toEqual([
      ['k8s-worker-1', 'kube-proxy-w1new', true], ['k8s-worker-2', 'kube-proxy-w2', false], ['k8s-worker-3', undefined, undefined],
    ]);
    // The node that never got a pod times out by itself, named, not retryable; the others are not failed by it.
    expect(out[2]!.error).toBeInstanceOf(K8sError);
    expect(out[2]!.error).toMatchObject({ kind: 'Timeout', retryable: false });
    expect(out[2]!.error!.message).toMatch(/on node k8s-worker-3 within 2 s \(no new pod seen\)/);
    expect(settled).toEqual(['k8s-worker-2:CrashLoopBackOff', 'k8s-worker-1:ready', 'k8s-worker-3:K8sError']);
    const after = c.stats().requests;
    expect([after.list - before.list, after.watch - before.watch]).toEqual([1, 1]);
    // Many nodes: no field selector (it has no set form); one node keeps the server-side node filter.
    const watches = api.requests.filter((r) => r.includes('/pods (watch'));
    expect(watches).toHaveLength(1);
  });

  it('keeps connections alive: a burst of 30 requests does not open 30 connections', async () => {
    const c = cluster();
    await c.listNodes();
    const first = api.connections();
    await Promise.all(Array.from({ length: 10 }, () => c.getConfigMap('kube-system', 'kube-proxy')));
    for (let i = 0; i < 20; i++) await c.listNodes();
    // The concurrent ten may each need a socket; the sequential twenty reuse them.
    expect(api.connections() - first).toBeLessThanOrEqual(10);
    expect(c.stats().requests.get + c.stats().requests.list).toBe(31);
  });

  it('times out a pod wait with a non-retryable Timeout that names the node', async () => {
    const c = cluster();
    const e = await c.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { timeoutMs: 300 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'Timeout', retryable: false });
    expect((e as Error).message).toMatch(/k8s-worker-1/);
  });

  it('ensures Jobs idempotently (creating the privileged namespace) and reads results from termination message or log', async () => {
    const c = cluster();
    const run = '01JDZ8K3M4N5P6Q7R8S9T0V1W2';
    const specs = ['k8s-cp-1', 'k8s-worker-1'].map((n) => nodeJobSpec({ runId: run }, { phase: 'prep', node: n, targetMode: 'ipvs' }));
    for (const s of specs) { await c.ensureJob(s); await c.ensureJob(s); }
    expect(api.get('namespaces', undefined, 'ipvs-bot-jobs')!.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(api.get('jobs', 'ipvs-bot-jobs', specs[0]!.name)!.spec.template.spec.hostPID).toBe(true);
    // The manifest is sent as its own JSON text (not through the V1Job model): the server gets it field for field.
    for (const s of specs) {
      const made = api.get('jobs', 'ipvs-bot-jobs', s.name)!;
      const sent = s.manifest as AnyObj;
      expect(made.spec).toEqual(sent.spec);
      expect(made.metadata.labels).toEqual(sent.metadata.labels);
    }

    const wait = c.waitForJobs('ipvs-bot-jobs', specs.map((s) => s.name), { timeoutMs: 10_000 });
    await until(() => api.requests.some((r) => r.includes('/jobs (watch')));
    const [a, b] = specs as [typeof specs[0], typeof specs[0]];
    const labels = (s: typeof a) => ({ ...(s.manifest as AnyObj).spec.template.metadata.labels, 'batch.kubernetes.io/job-name': s.name });
    api.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${a.name}-x1`, namespace: 'ipvs-bot-jobs', labels: labels(a) }, spec: { nodeName: 'k8s-cp-1' },
      status: { phase: 'Succeeded', containerStatuses: [{ name: 'prep', state: { terminated: { exitCode: 0, message: '{"phase":"prep","node":"k8s-cp-1","ok":true,"errors":[]}\n' } } }] } });
    api.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${b.name}-y1`, namespace: 'ipvs-bot-jobs', labels: labels(b), annotations: { 'test/log': 'loading\n{"phase":"prep","node":"k8s-worker-1","ok":false,"errors":["kernel module ip_vs_sh could not be loaded"]}\n' } },
      spec: { nodeName: 'k8s-worker-1' }, status: { phase: 'Failed', containerStatuses: [{ name: 'prep', state: { terminated: { exitCode: 1 } } }] } });
    const job = (s: typeof a, cond: AnyObj) => ({ ...api.get('jobs', 'ipvs-bot-jobs', s.name)!, status: { conditions: [cond] } });
    api.put('jobs', job(a, { type: 'Complete', status: 'True' }));
    api.put('jobs', job(b, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }));
    const results = await wait;
    expect(results).toEqual([
      { name: a.name, outcome: 'succeeded', result: { phase: 'prep', node: 'k8s-cp-1', ok: true, errors: [] } },
      { name: b.name, outcome: 'failed', reason: 'BackoffLimitExceeded', result: { phase: 'prep', node: 'k8s-worker-1', ok: false, errors: ['kernel module ip_vs_sh could not be loaded'] } },
    ]);
    expect(c.stats().requests).toMatchObject({ watch: 1, log: 1 });
    // 404 (no namespace yet) + create, then 409 AlreadyExists; create, then 409: two Jobs exist. When the specs carry
    // the scripts' ConfigMap, its create meets the missing namespace first, so the first Job create succeeds.
    const viaConfigMap = specs[0]!.configMap !== undefined;
    expect(api.requests.filter((r) => r === 'POST /apis/batch/v1/namespaces/ipvs-bot-jobs/jobs')).toHaveLength(viaConfigMap ? 4 : 5);
    expect(api.requests.filter((r) => r === 'POST /api/v1/namespaces')).toHaveLength(1);

    await c.deleteJob('ipvs-bot-jobs', a.name);
    await c.deleteJob('ipvs-bot-jobs', a.name); // gone already: fine
    expect(api.get('jobs', 'ipvs-bot-jobs', a.name)).toBeUndefined();
  });

  it('creates a Job\'s ConfigMap once, immutable, before 20 concurrent Jobs that mount it (namespace missing at first)', async () => {
    const c = cluster();
    const cm = { name: 'ipvs-bot-scripts-0123abcd', data: { 'prep.sh': 'echo prep\n' } };
    const specs = Array.from({ length: 20 }, (_, i) => ({ ...nodeJobSpec({ runId: 'run1' }, { phase: 'prep', node: `n${i}`, targetMode: 'ipvs' }), configMap: cm }));
    await Promise.all(specs.map((s) => c.ensureJob(s)));
    await c.ensureJob(specs[0]!); // again: nothing new
    const made = api.get('configmaps', 'ipvs-bot-jobs', cm.name)!;
    expect(made.data).toEqual(cm.data);
    expect(made.immutable).toBe(true);
    expect(made.metadata.labels['app.kubernetes.io/managed-by']).toBe('ipvs-bot');
    // One create that met the missing namespace (404) and one after creating it; the 20 Jobs waited for it.
    expect(api.requests.filter((r) => r === 'POST /api/v1/namespaces/ipvs-bot-jobs/configmaps')).toHaveLength(2);
    expect(api.requests.filter((r) => r === 'POST /api/v1/namespaces')).toHaveLength(1);
    const firstJob = api.requests.indexOf('POST /apis/batch/v1/namespaces/ipvs-bot-jobs/jobs');
    expect(firstJob).toBeGreaterThan(api.requests.lastIndexOf('POST /api/v1/namespaces/ipvs-bot-jobs/configmaps'));
    for (const s of specs) expect(api.get('jobs', 'ipvs-bot-jobs', s.name)).toBeDefined();
  });

  it('does not remember a ConfigMap whose create failed: the next Job tries again', async () => {
    const c = cluster();
    api.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ipvs-bot-jobs' } });
    const cm = { name: 'ipvs-bot-scripts-feedbeef', data: { 'verify.sh': 'echo verify\n' } };
    const spec = (n: string) => ({ ...nodeJobSpec({ runId: 'run1' }, { phase: 'prep', node: n, targetMode: 'ipvs' }), configMap: cm });
    api.faults.failNext = 99;
    await expect(c.ensureJob(spec('n1'))).rejects.toBeInstanceOf(K8sError);
    api.faults.failNext = 0;
    await c.ensureJob(spec('n2'));
    expect(api.get('configmaps', 'ipvs-bot-jobs', cm.name)).toBeDefined();
    expect(api.get('jobs', 'ipvs-bot-jobs', spec('n2').name)).toBeDefined();
  });

  it('reads the results of 200 Jobs that finish together in groups whose request lines stay under 8 KB', async () => {
    const c = cluster();
    api.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ipvs-bot-jobs' } });
    // Long node names (a label value holds 63): 200 of them in one `ipvs-bot/node in (…)` would be ~11 KB.
    const nodes = Array.from({ length: 200 }, (_, i) => `node-${String(i).padStart(3, '0')}-${'x'.repeat(44)}`);
    const specs = nodes.map((n) => nodeJobSpec({ runId: 'run1' }, { phase: 'prep', node: n, targetMode: 'ipvs' }));
    for (const s of specs) await c.ensureJob(s);
    const got: { name: string; node: unknown }[] = [];
    const wait = c.waitForJobs('ipvs-bot-jobs', specs.map((s) => s.name), {
      timeoutMs: 10_000, labelSelector: 'ipvs-bot/run=run1,ipvs-bot/phase=prep',
      onResult: (r) => got.push({ name: r.name, node: (r.result as { node?: unknown } | undefined)?.node }),
    });
    await until(() => api.requests.some((r) => r.includes('/jobs (watch')));
    specs.forEach((s, i) => {
      const labels = { ...(s.manifest as AnyObj).spec.template.metadata.labels, 'batch.kubernetes.io/job-name': s.name };
      api.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${s.name}-p`, namespace: 'ipvs-bot-jobs', labels }, spec: { nodeName: nodes[i] },
        status: { phase: 'Succeeded', containerStatuses: [{ name: 'prep', state: { terminated: { exitCode: 0, message: JSON.stringify({ phase: 'prep', node: nodes[i], ok: true, errors: [] }) } } }] } });
    });
    // All finish in one go: one chunk of watch events.
    for (const s of specs) api.put('jobs', { ...api.get('jobs', 'ipvs-bot-jobs', s.name)!, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    const results = await wait;
    expect(results.map((r) => (r.result as { node?: unknown } | undefined)?.node)).toEqual(nodes);
    expect(got.map((g) => g.node).sort()).toEqual([...nodes].sort());
    const podLists = api.requestLines.filter((l) => l.startsWith('GET /api/v1/namespaces/ipvs-bot-jobs/pods?'));
    expect(podLists.length).toBeGreaterThanOrEqual(2);
    for (const l of api.requestLines) expect(l.length).toBeLessThan(8192);
  });

  it('reports unfinished Jobs as running at the timeout and missing ones as failed', async () => {
    const c = cluster();
    const s = nodeJobSpec({ runId: 'run1' }, { phase: 'verify', node: 'k8s-cp-1', targetMode: 'ipvs', verify: { servicePorts: 1, dnsName: 'kubernetes.default.svc.cluster.local' }, attempt: '1' });
    await c.ensureJob(s);
    const r = await c.waitForJobs('ipvs-bot-jobs', [s.name, 'ipvs-verify-nope'], { timeoutMs: 300 });
    expect(r).toEqual([{ name: s.name, outcome: 'running' }, { name: 'ipvs-verify-nope', outcome: 'failed', reason: 'NotFound' }]);
  });

  it('retries injected 500s and gives up after five tries', async () => {
    const c = cluster();
    api.faults.failNext = 3;
    expect(await c.listNodes()).toHaveLength(2);
    expect(c.stats()).toMatchObject({ retries: 3, requests: { list: 4 } });
    api.faults.failNext = 10;
    await expect(c.getConfigMap('kube-system', 'kube-proxy')).rejects.toMatchObject({ kind: 'Transient', status: 500 });
    expect(api.faults.failNext).toBe(5);
  });

  it('maps a restricted token to Forbidden, a bad one to Unauthorized, and answers access reviews', async () => {
    const reader = cluster('reader-token');
    const cm = await reader.getConfigMap('kube-system', 'kube-proxy');
    await expect(reader.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', 'x', cm.resourceVersion)).rejects.toMatchObject({ kind: 'Forbidden', status: 403, retryable: false });
    expect(await reader.can('get', 'configmaps', 'kube-system', 'kube-proxy')).toBe(true);
    expect(await reader.can('patch', 'daemonsets', 'kube-system', 'kube-proxy')).toBe(false);
    expect(await cluster().can('create', 'jobs.batch', 'ipvs-bot-jobs')).toBe(true);
    const bad = await cluster('stolen-token').listNodes().catch((e: unknown) => e);
    expect(bad).toMatchObject({ kind: 'Unauthorized', status: 401 });
    expect((bad as Error).message).not.toContain('stolen-token');
  });

  it('loads kubeconfigs: plain http gets skipTLSVerify, a missing file or context is a clear error without contents', () => {
    const path = join(dir, 'kc');
    writeFileSync(path, api.kubeconfig('secret-token-123'));
    expect(loadKubeConfig({ kubeconfig: path }).getCurrentCluster()).toMatchObject({ server: api.url, skipTLSVerify: true });
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'nope') })).toThrow(/could not be read or parsed/);
    expect(() => loadKubeConfig({ kubeconfig: path, context: 'other' })).toThrow(/context other is not in the kubeconfig/);
    writeFileSync(path, 'users: [{name: u, user: {token: secret-token-123}}\n  bad: [');
    const e = (() => { try { loadKubeConfig({ kubeconfig: path }); return undefined; } catch (x) { return x as Error; } })();
    expect(e).toBeInstanceOf(K8sError);
    expect(e!.message).not.toContain('secret-token-123');
  });
});
