// The sandbox API server driven by the real /usr/bin/kubectl (v1.28) as a subprocess, fresh cache dir per call:
// version, server-side Table output, -o yaml, patch, logs, delete, rollout restart + rollout status over a watch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestApi, type TestApi } from './contract/harness.js';

/** Parses kubectl's column output into rows keyed by header. */
function table(out: string): Record<string, string>[] {
  const [head, ...lines] = out.trimEnd().split('\n');
  const starts: number[] = [];
  const names: string[] = [];
  head!.replace(/\S+(?: \S+)*/g, (m, i: number) => { starts.push(i); names.push(m); return m; });
  return lines.map((l) => Object.fromEntries(names.map((n, k) => [n, l.slice(starts[k], starts[k + 1] ?? l.length).trim()])));
}

describe('sandbox API server with /usr/bin/kubectl', () => {
  let api: TestApi;
  beforeAll(async () => { api = await startTestApi(); });
  afterAll(async () => { await api.close(); });

  it('kubectl version reads the server version', async () => {
    const r = await api.kubectl(['version', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).serverVersion).toMatchObject({ major: '1', minor: '28', gitVersion: 'v1.28.7' });
  });

  it('kubectl get nodes / -o wide shows the server-side Table columns', async () => {
    const r = await api.kubectl(['get', 'nodes']);
    expect(r.code).toBe(0);
    const rows = table(r.stdout);
    expect(rows.map((x) => [x.NAME, x.STATUS, x.ROLES, x.VERSION])).toEqual([
      ['k8s-cp-1', 'Ready', 'control-plane', 'v1.28.7'], ['k8s-worker-1', 'Ready', '<none>', 'v1.28.7'], ['k8s-worker-2', 'Ready', '<none>', 'v1.28.7']]);
    const wide = table((await api.kubectl(['get', 'nodes', '-o', 'wide'])).stdout);
    expect(wide.find((x) => x.NAME === 'k8s-worker-1')).toMatchObject({ 'KERNEL-VERSION': '3.10.0-1160.el7.x86_64', 'OS-IMAGE': 'CentOS Linux 7 (Core)', 'INTERNAL-IP': '127.0.0.1' });
    const pods = table((await api.kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '-o', 'wide'])).stdout);
    expect(pods.map((p) => [p.READY, p.STATUS, p.RESTARTS])).toEqual([['1/1', 'Running', '0'], ['1/1', 'Running', '0'], ['1/1', 'Running', '0']]);
    expect(pods.map((p) => p.NODE).sort()).toEqual(['k8s-cp-1', 'k8s-worker-1', 'k8s-worker-2']);
  });

  it('kubectl get -o yaml, patch and logs', async () => {
    const cm = parse((await api.kubectl(['get', 'cm', 'kube-proxy', '-n', 'kube-system', '-o', 'yaml'])).stdout) as { data: Record<string, string>; metadata: { resourceVersion: string } };
    expect(cm.data['config.conf']).toContain('mode: ""');
    const p = await api.kubectl(['patch', 'cm', 'kube-proxy', '-n', 'kube-system', '--type=merge', '-p', JSON.stringify({ data: { 'config.conf': cm.data['config.conf']!.replace('mode: ""', 'mode: ipvs') } })]);
    expect(p.stdout).toContain('configmap/kube-proxy patched');
    expect(String(api.store.peek('configmaps', 'kube-system', 'kube-proxy')?.data && (api.store.peek('configmaps', 'kube-system', 'kube-proxy')!.data as Record<string, string>)['config.conf'])).toContain('mode: ipvs');
    const logs = await api.kubectl(['logs', '-n', 'kube-system', 'kube-proxy-69z2j', '--tail=1']);
    expect(logs.stdout).toBe('log line 3 from kube-system/kube-proxy-69z2j/kube-proxy\n');
    const missing = await api.kubectl(['get', 'cm', 'nope', '-n', 'kube-system']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('configmaps "nope" not found');
  });

  it('kubectl delete --force removes a running pod at once', async () => {
    const r = await api.kubectl(['delete', 'pod', 'coredns-5dd5756b68-2bnhn', '-n', 'kube-system', '--grace-period=0', '--force']);
    expect(r.code).toBe(0);
    expect(api.store.peek('pods', 'kube-system', 'coredns-5dd5756b68-2bnhn')).toBeUndefined();
  });

  it('kubectl rollout restart, then rollout status follows the DaemonSet watch until the rollout is done', async () => {
    const gen0 = api.store.peek('daemonsets', 'kube-system', 'kube-proxy')!.metadata.generation!;
    const r = await api.kubectl(['rollout', 'restart', 'ds/kube-proxy', '-n', 'kube-system']);
    expect(r.stdout).toContain('daemonset.apps/kube-proxy restarted');
    const ds = api.store.peek('daemonsets', 'kube-system', 'kube-proxy')!;
    expect(ds.metadata.generation).toBe(gen0 + 1);
    expect((ds.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    const status = api.kubectl(['rollout', 'status', 'ds/kube-proxy', '-n', 'kube-system', '--timeout=20s']);
    // Stand in for the DaemonSet controller: observe the new generation, then report every node updated.
    await new Promise((res) => setTimeout(res, 700));
    api.store.mutate('daemonsets', 'kube-system', 'kube-proxy', (d) => { d.status = { ...(d.status as object), observedGeneration: d.metadata.generation, updatedNumberScheduled: 1 }; }, { status: true });
    await new Promise((res) => setTimeout(res, 300));
    api.store.mutate('daemonsets', 'kube-system', 'kube-proxy', (d) => { d.status = { ...(d.status as object), updatedNumberScheduled: 3, numberAvailable: 3 }; }, { status: true });
    const done = await status;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('daemon set "kube-proxy" successfully rolled out');
  });
});
