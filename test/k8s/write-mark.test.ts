// The write mark (src/k8s/write-mark.ts) through the real client-node against the sandbox API server: every bot write
// of the kube-proxy DaemonSet/ConfigMap carries who wrote it and what it replaced, in the same request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sCluster, loadKubeConfig } from '../../src/k8s/k8s-cluster.js';
import { dataSha, sha256Text } from '../../src/k8s/write-mark.js';
import { startSandbox } from '../../src/sandbox/index.js';

let sb: Awaited<ReturnType<typeof startSandbox>>;
let k: K8sCluster;
beforeAll(async () => {
  sb = await startSandbox({ nodes: 1 });
  k = new K8sCluster(loadKubeConfig({ kubeconfig: sb.kubeconfigPath }));
});
afterAll(async () => { await sb?.stop(); });

describe('src/k8s write mark', () => {
  it('counts a run\'s DaemonSet spec writes from the generation before them, keeps the replaced strategy while OnDelete stands', async () => {
    const before = await k.getDaemonSet('kube-system', 'kube-proxy');
    expect(before.updateStrategy.type).toBe('RollingUpdate');
    const by = { run: 'run-1', step: 'switch' };
    const onDelete = await k.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'OnDelete' }, by);
    expect(onDelete.writeMark).toEqual({ run: 'run-1', step: 'switch', base: before.generation, writes: 1, original: before.updateStrategy });
    expect(onDelete.generation).toBe(before.generation + 1);
    expect(await k.setKubeProxyCleanupInit('kube-system', 'kube-proxy', true, by)).toBe(true);
    const both = await k.getDaemonSet('kube-system', 'kube-proxy');
    expect(both.writeMark).toEqual({ run: 'run-1', step: 'switch', base: before.generation, writes: 2, original: before.updateStrategy });
    expect(both.generation).toBe(before.generation + 2);
    // Someone else's spec edit breaks the count: the next write of the run starts a new base.
    const cur = structuredClone(sb.store.peek('daemonsets', 'kube-system', 'kube-proxy')!);
    (cur.spec as { minReadySeconds?: number }).minReadySeconds = 5;
    sb.store.update('daemonsets', cur);
    expect(await k.setKubeProxyCleanupInit('kube-system', 'kube-proxy', false, by)).toBe(true);
    const after = await k.getDaemonSet('kube-system', 'kube-proxy');
    expect(after.writeMark).toMatchObject({ run: 'run-1', base: before.generation + 3, writes: 1, original: before.updateStrategy });
    const restored = await k.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', before.updateStrategy);
    expect(restored.updateStrategy.type).toBe('RollingUpdate');
    expect(restored.writeMark?.original).toBeUndefined();
  });

  it('marks a ConfigMap write with the resourceVersion and data it replaced', async () => {
    const cm = await k.getConfigMap('kube-system', 'kube-proxy');
    const text = cm.data['config.conf']!;
    const out = await k.patchConfigMapData('kube-system', 'kube-proxy', 'config.conf', `${text}\n# edited`, cm.resourceVersion, { run: 'run-2', step: 'restore-config' });
    expect(out.writeMark).toEqual({
      run: 'run-2', step: 'restore-config', from: cm.resourceVersion, fromSha: sha256Text(text), dataSha: dataSha({ ...cm.data, 'config.conf': `${text}\n# edited` }),
    });
    expect(dataSha(out.data)).toBe(out.writeMark!.dataSha);
  });
});
