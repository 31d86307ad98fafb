// Raw-HTTP checks of watch framing (fixtures watch/*) and of pods/status strategic merge (fixture note 10).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './contract/harness.js';

type Ev = { type: string; object: { kind?: string; code?: number; reason?: string; message?: string; metadata?: { name?: string; resourceVersion?: string } } };

async function readStream(res: Response): Promise<Ev[]> {
  const text = await res.text(); // the server ends the stream (timeoutSeconds or an ERROR)
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
}

describe('watch framing and pods/status', () => {
  let api: TestApi;
  beforeAll(async () => { api = await startTestApi(); });
  afterAll(async () => { await api.close(); });

  it('without resourceVersion starts with one ADDED per object and ends cleanly at timeoutSeconds', async () => {
    const res = await api.fetch('/api/v1/namespaces/kube-system/pods?watch=1&labelSelector=k8s-app%3Dkube-proxy&timeoutSeconds=1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const evs = await readStream(res);
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'ADDED']);
    expect(evs.map((e) => e.object.metadata?.name).sort()).toEqual(['kube-proxy-69z2j', 'kube-proxy-bnp2x', 'kube-proxy-xxx9j']);
  });

  it('from a compacted resourceVersion sends one ERROR 410 Expired event, status 200', async () => {
    api.store.compact();
    const res = await api.fetch('/api/v1/namespaces/kube-system/pods?watch=1&resourceVersion=1');
    expect(res.status).toBe(200);
    const evs = await readStream(res);
    expect(evs).toEqual([{ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: `too old resource version: 1 (${api.store.resourceVersion()})`, reason: 'Expired', code: 410 } }]);
  });

  it('sends a BOOKMARK before timeoutSeconds only after some event of the resource happened', async () => {
    const rv = api.store.resourceVersion();
    const quiet = await readStream(await api.fetch(`/api/v1/namespaces/kube-system/pods?watch=1&labelSelector=k8s-app%3Dkube-proxy&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=3`));
    expect(quiet).toEqual([]);
    const pending = api.fetch(`/api/v1/namespaces/kube-system/pods?watch=1&labelSelector=k8s-app%3Dkube-proxy&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=3`);
    const p = api.store.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unrelated', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const gone = api.store.delete('pods', 'default', 'unrelated')!;
    const evs = await readStream(await pending);
    expect(evs.map((e) => e.type)).toEqual(['BOOKMARK']);
    expect(evs[0]!.object).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: gone.metadata.resourceVersion, creationTimestamp: null }, spec: { containers: null }, status: {} });
    expect(Number(gone.metadata.resourceVersion)).toBeGreaterThan(Number(p.metadata.resourceVersion));
  });

  it('merges pods/status conditions by type and replaces containerStatuses as a whole', async () => {
    const path = '/api/v1/namespaces/kube-system/pods/kube-proxy-69z2j/status';
    const before = await (await api.fetch(path)).json() as { spec: unknown; status: { conditions: { type: string; status: string; reason?: string }[] } };
    const res = await api.fetch(path, { method: 'PATCH', headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({ spec: { nodeName: 'ignored' }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }], containerStatuses: [{ name: 'kube-proxy', ready: false, restartCount: 1 }] } }) });
    expect(res.status).toBe(200);
    const after = await res.json() as typeof before & { status: { containerStatuses: unknown[] } };
    expect(after.status.conditions.map((c) => c.type)).toEqual(before.status.conditions.map((c) => c.type));
    expect(after.status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(after.status.containerStatuses).toEqual([{ name: 'kube-proxy', ready: false, restartCount: 1 }]);
    expect(after.spec).toEqual(before.spec); // the status subresource ignores spec changes
  });
});
