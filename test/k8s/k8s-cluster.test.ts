// K8sCluster against the sandbox API server (real HTTP, real client-node, the simulated kubeadm cluster).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sError } from '../../src/k8s/errors.js';
import { K8sCluster, loadKubeConfig } from '../../src/k8s/k8s-cluster.js';
import { createNodeJobFactory } from '../../src/k8s/node-jobs.js';
import { readKubeProxySettings, setProxyMode } from '../../src/k8s/kube-proxy-config.js';
import { startSandbox } from '../../src/sandbox/index.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
let sb: Sandbox;
let k: K8sCluster;

beforeAll(async () => {
  sb = await startSandbox({ nodes: 3, mirrorFixtureNodes: true, nodesWithoutIpvs: ['k8s-worker-2'] });
  k = new K8sCluster(loadKubeConfig({ kubeconfig: sb.kubeconfigPath }), { retry: { baseDelayMs: 5, maxDelayMs: 20 } });
});
afterAll(async () => { await sb?.stop(); });

describe('src/k8s/k8s-cluster against the sandbox', () => {
  it('lists the kubeadm-shaped nodes with their kernels', async () => {
    const nodes = await k.listNodes();
    expect(nodes.map((n) => [n.name, n.kernelVersion])).toEqual([
      ['k8s-cp-1', '6.1.0-27-amd64'], ['k8s-worker-1', '3.10.0-1160.el7.x86_64'], ['k8s-worker-2', '4.18.0-513.el8.x86_64'],
    ]);
    expect((await k.version()).gitVersion).toBe('v1.28.7');
    expect(await k.clusterUid()).toMatch(/[0-9a-f-]{36}/);
  });

  it('lists pods, Services and workloads as the server stored them (read as plain JSON, not client-node models)', async () => {
    const pods = await k.listPods('kube-system', 'k8s-app=kube-proxy');
    expect(pods.map((p) => p.nodeName).sort()).toEqual(['k8s-cp-1', 'k8s-worker-1', 'k8s-worker-2']);
    for (const p of pods) {
      const stored = sb.store.peek('pods', 'kube-system', p.name)!;
      expect(p).toMatchObject({ namespace: 'kube-system', uid: stored.metadata.uid, labels: stored.metadata.labels, deleting: false });
      // A timestamp string, as stored (models would have turned it into a Date first).
      expect(p.createdAt).toBe(stored.metadata.creationTimestamp);
    }
    const kubernetes = (await k.listServices()).find((x) => x.namespace === 'default' && x.name === 'kubernetes');
    const svc = sb.store.peek('services', 'default', 'kubernetes') as unknown as { spec: { clusterIP: string; ports: { port: number }[] } };
    expect(kubernetes).toEqual({
      name: 'kubernetes', namespace: 'default', type: 'ClusterIP', clusterIP: svc.spec.clusterIP, clusterIPs: [svc.spec.clusterIP],
      ports: [{ name: 'https', port: svc.spec.ports[0]!.port, protocol: 'TCP' }],
    });
    const kp = (await k.listWorkloadNames()).find((w) => w.name === 'kube-proxy');
    expect(kp).toEqual({ namespace: 'kube-system', kind: 'DaemonSet', name: 'kube-proxy', image: (await k.getDaemonSet('kube-system', 'kube-proxy')).image });
  });

  it('patches config.conf with a resourceVersion precondition; a stale one is a Conflict', async () => {
    const cm = await k.getConfigMap('kube-system', 'kube-proxy');
    const text = cm.data['config.conf']!;
    const next = setProxyMode(text, { mode: 'ipvs', scheduler: 'rr' });
    const after = await k.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', next, cm.resourceVersion);
    expect(readKubeProxySettings(after.data['config.conf']!).mode).toBe('ipvs');
    const stale = await k.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', text, cm.resourceVersion).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(K8sError);
    expect(stale).toMatchObject({ kind: 'Conflict', status: 409 });
    // put it back for the other tests
    await k.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', text, after.resourceVersion);
  });

  it('sets the DaemonSet to OnDelete idempotently, deletes one kube-proxy pod and waits for its replacement by watch', async () => {
    const ds = await k.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'OnDelete' });
    expect(ds.updateStrategy.type).toBe('OnDelete');
    const patches = k.stats().requests.patch;
    const again = await k.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'OnDelete' });
    // the controller may bump the status (resourceVersion), but no second write and no new generation
    expect(k.stats().requests.patch).toBe(patches);
    expect(again.generation).toBe(ds.generation);
    const pods = await k.listPods('kube-system', 'k8s-app=kube-proxy');
    const old = pods.find((p) => p.nodeName === 'k8s-worker-1')!;
    expect(old.ready).toBe(true);
    const before = k.stats().requests;
    await k.deletePod('kube-system', old.name, old.uid);
    const fresh = await k.waitForPodOnNode('kube-system', 'k8s-app=kube-proxy', 'k8s-worker-1', { notUid: old.uid, timeoutMs: 30_000 });
    expect(fresh).toMatchObject({ nodeName: 'k8s-worker-1', ready: true });
    expect(fresh.uid).not.toBe(old.uid);
    const after = k.stats().requests;
    expect(after.watch - before.watch).toBeLessThanOrEqual(2);
    expect(after.list - before.list).toBe(1);
    await k.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });

  it('ensures prep Jobs idempotently and reads each node\'s result line', async () => {
    const jobs = createNodeJobFactory({ runId: 'run-sandbox-1' });
    const specs = ['k8s-cp-1', 'k8s-worker-1', 'k8s-worker-2'].map((n) => jobs.prep(n, { scheduler: 'rr', targetMode: 'ipvs' }));
    for (const s of specs) { await k.ensureJob(s); await k.ensureJob(s); }
    const results = await k.waitForJobs(jobs.namespace, specs.map((s) => s.name), { timeoutMs: 60_000 });
    expect(results.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const [cp, w1, w2] = results.map((r) => r.result as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cp).toMatchObject({ phase: 'prep', node: 'k8s-cp-1', ok: true, modules: { nf_conntrack: 'loaded' } });
    expect(w1).toMatchObject({ node: 'k8s-worker-1', modules: { nf_conntrack_ipv4: 'loaded' } });
    expect(w2).toMatchObject({ node: 'k8s-worker-2', ok: false, modules: { ip_vs_sh: 'missing' } });
    for (const s of specs) await k.deleteJob(s.namespace, s.name);
  });

  it('narrows the Job wait to a run and phase: the watch never sees other runs\' Jobs', async () => {
    const mine = createNodeJobFactory({ runId: 'run-narrow-a' });
    const other = createNodeJobFactory({ runId: 'run-narrow-b' });
    const specs = ['k8s-cp-1', 'k8s-worker-1'].map((n) => mine.prep(n, { scheduler: 'rr', targetMode: 'ipvs' }));
    const noise = ['k8s-cp-1', 'k8s-worker-1'].map((n) => other.prep(n, { scheduler: 'rr', targetMode: 'ipvs' }));
    for (const s of [...noise, ...specs]) await k.ensureJob(s);
    const { sharedJobLabels } = await import('../../src/workflows/kube-proxy-mode/steps/node-ops.js');
    const labelSelector = sharedJobLabels(specs);
    expect(labelSelector).toBe('ipvs-bot/run=run-narrow-a,ipvs-bot/phase=prep');
    const results = await k.waitForJobs(mine.namespace, specs.map((s) => s.name), { timeoutMs: 60_000, labelSelector: labelSelector! });
    expect(results.map((r) => [r.outcome, (r.result as { node?: string } | undefined)?.node])).toEqual([['succeeded', 'k8s-cp-1'], ['succeeded', 'k8s-worker-1']]);
    // The selector matches exactly this run's prep Jobs, not the other run's.
    const listed = sb.store.list('jobs', mine.namespace, { labelSelector: `app.kubernetes.io/managed-by=ipvs-bot,${labelSelector}` }).items;
    expect(listed.map((j) => j.metadata.name).sort()).toEqual(specs.map((s) => s.name).sort());
    for (const s of [...noise, ...specs]) await k.deleteJob(s.namespace, s.name);
  });

  it('reports each Job\'s result as soon as it finished (onResult), before the whole wait resolves', async () => {
    const jobs = createNodeJobFactory({ runId: 'run-stream-1' });
    const specs = ['k8s-cp-1', 'k8s-worker-1', 'k8s-worker-2'].map((n) => jobs.prep(n, { scheduler: 'rr', targetMode: 'ipvs' }));
    for (const s of specs) await k.ensureJob(s);
    const { batchJobSelector } = await import('../../src/workflows/kube-proxy-mode/steps/node-ops.js');
    const heard: { name: string; node?: unknown; settledYet: boolean }[] = [];
    const order: string[] = [];
    let settled = false;
    const wait = k.waitForJobs(jobs.namespace, specs.map((s) => s.name), {
      timeoutMs: 60_000, labelSelector: batchJobSelector(specs)!,
      onFinished: (r) => order.push(`finished ${r.name} ${r.outcome} ${r.result === undefined ? 'unread' : 'read'}`),
      onResult: (r) => { order.push(`result ${r.name}`); heard.push({ name: r.name, node: (r.result as { node?: unknown } | undefined)?.node, settledYet: settled }); },
    });
    const results = await wait.finally(() => { settled = true; });
    // Every Job was heard once, with its result read, before the wait resolved.
    expect(heard.map((h) => h.name).sort()).toEqual(specs.map((s) => s.name).sort());
    expect(heard.every((h) => !h.settledYet)).toBe(true);
    expect(Object.fromEntries(heard.map((h) => [h.name, h.node]))).toEqual(Object.fromEntries(specs.map((s, i) => [s.name, ['k8s-cp-1', 'k8s-worker-1', 'k8s-worker-2'][i]])));
    expect(results.map((r) => (r.result as { node?: string }).node)).toEqual(['k8s-cp-1', 'k8s-worker-1', 'k8s-worker-2']);
    // onFinished hears each Job first, the moment it finished and before its result is read.
    for (const s of specs) {
      expect(order.indexOf(`finished ${s.name} succeeded unread`)).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(`finished ${s.name} succeeded unread`)).toBeLessThan(order.indexOf(`result ${s.name}`));
    }
    for (const s of specs) await k.deleteJob(s.namespace, s.name);
  });

  it('restarts kube-proxy on several nodes with one list and one watch for the batch', async () => {
    const pods = (await k.listPods('kube-system', 'k8s-app=kube-proxy')).filter((p) => !p.deleting);
    const targets = ['k8s-worker-1', 'k8s-worker-2'].map((n) => pods.find((p) => p.nodeName === n)!);
    const before = k.stats().requests;
    for (const p of targets) await k.deletePod('kube-system', p.name, p.uid);
    const out = await k.waitForPodsOnNodes('kube-system', 'k8s-app=kube-proxy', targets.map((p) => ({ node: p.nodeName!, notUid: p.uid })), { timeoutMs: 30_000 });
    expect(out.map((o) => [o.node, o.pod?.ready])).toEqual([['k8s-worker-1', true], ['k8s-worker-2', true]]);
    expect(out.map((o) => o.pod!.uid)).not.toContain(targets[0]!.uid);
    expect(out.map((o) => o.pod!.uid)).not.toContain(targets[1]!.uid);
    const after = k.stats().requests;
    expect(after.list - before.list).toBe(1);
    expect(after.watch - before.watch).toBeLessThanOrEqual(2);
  });

  it('retries injected 500s and dropped connections', async () => {
    const errors: string[] = [];
    const c = new K8sCluster(loadKubeConfig({ kubeconfig: sb.kubeconfigPath }), {
      retry: { attempts: 12, baseDelayMs: 1, maxDelayMs: 5 }, onRequestError: (verb, kind) => errors.push(`${verb}:${kind}`),
    });
    Object.assign(sb.faults, { seed: 7, errorRate: 0.3, timeoutRate: 0.1, timeoutMs: 50 });
    try {
      for (let i = 0; i < 20; i++) expect(await c.listNodes()).toHaveLength(3);
    } finally { Object.assign(sb.faults, { errorRate: 0, timeoutRate: 0 }); }
    expect(c.stats().retries).toBeGreaterThan(0);
    expect(c.stats().requests.list).toBe(20 + c.stats().retries);
    // Every failed attempt was reported, as a transient or timeout list error.
    expect(errors).toHaveLength(c.stats().retries);
    expect(new Set(errors.map((e) => e.split(':')[0]))).toEqual(new Set(['list']));
    expect(errors.every((e) => /:(Transient|Timeout)$/.test(e))).toBe(true);
  });

  it('maps the restricted context\'s missing rights to Forbidden', async () => {
    const reader = new K8sCluster(loadKubeConfig({ kubeconfig: sb.kubeconfigPath, context: 'sandbox-restricted' }), { retry: { baseDelayMs: 1 } });
    const cm = await reader.getConfigMap('kube-system', 'kube-proxy');
    const e = await reader.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', 'x', cm.resourceVersion).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(K8sError);
    expect(e).toMatchObject({ kind: 'Forbidden', status: 403, retryable: false });
    expect((e as Error).message).not.toContain(sb.restrictedToken!);
    await expect(reader.listNodes()).rejects.toMatchObject({ kind: 'Forbidden' });
  });
});
