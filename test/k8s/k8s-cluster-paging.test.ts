// Big lists are read in pages (limit + continue) and mapped page by page: every node and pod arrives once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sCluster, loadKubeConfig } from '../../src/k8s/k8s-cluster.js';
import { startSandbox } from '../../src/sandbox/index.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
let sb: Sandbox;
let k: K8sCluster;

beforeAll(async () => {
  sb = await startSandbox({ nodes: 1100 });
  k = new K8sCluster(loadKubeConfig({ kubeconfig: sb.kubeconfigPath }), { retry: { baseDelayMs: 5, maxDelayMs: 20 } });
});
afterAll(async () => { await sb?.stop(); });

describe('src/k8s/k8s-cluster paged lists', () => {
  it('lists 1,100 nodes in three pages, each node once, with its kernel', async () => {
    k.resetStats();
    const nodes = await k.listNodes();
    const stored = sb.store.list('nodes').items;
    expect(nodes).toHaveLength(stored.length);
    expect(new Set(nodes.map((n) => n.name)).size).toBe(stored.length);
    expect(k.stats().requests.list).toBe(Math.ceil(stored.length / 500));
    const first = stored[0] as unknown as { metadata: { name: string }; status: { nodeInfo: { kernelVersion: string } } };
    expect(nodes.find((n) => n.name === first.metadata.name)?.kernelVersion).toBe(first.status.nodeInfo.kernelVersion);
  });

  it('lists every kube-proxy pod once across pages, with node, uid and readiness', async () => {
    k.resetStats();
    const pods = await k.listPods('kube-system', 'k8s-app=kube-proxy');
    const stored = sb.store.list('pods', 'kube-system').items.filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-proxy');
    expect(pods).toHaveLength(stored.length);
    expect(new Set(pods.map((p) => p.uid))).toEqual(new Set(stored.map((p) => p.metadata.uid)));
    expect(new Set(pods.map((p) => p.nodeName)).size).toBe(stored.length);
    expect(pods.every((p) => p.ready)).toBe(true);
    expect(k.stats().requests.list).toBeGreaterThanOrEqual(3);
  });
});
