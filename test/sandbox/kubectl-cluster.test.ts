// The whole sandbox (store + simulated cluster + HTTP API server) driven by the real /usr/bin/kubectl as a subprocess.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { nodeJobSpec } from '../../src/k8s/node-jobs.js';

const run = promisify(execFile);
const cacheDirs: string[] = [];

function kubectl(sb: Sandbox) {
  const cache = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
  cacheDirs.push(cache);
  return async (...args: string[]): Promise<string> => {
    const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', sb.kubeconfigPath, '--cache-dir', cache, ...args], { timeout: 60_000 });
    return stdout;
  };
}

async function until<T>(fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const podOn = async (k: (...a: string[]) => Promise<string>, node: string): Promise<Any | undefined> => {
  const list = JSON.parse(await k('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '-o', 'json')) as { items: Any[] };
  return list.items.find((p) => p.spec.nodeName === node && !p.metadata.deletionTimestamp);
};

afterAll(() => { for (const d of cacheDirs) rmSync(d, { recursive: true, force: true }); });

describe('sandbox + kubectl (v1.28.7, 3 nodes, k8s-worker-2 without IPVS)', () => {
  let sb: Sandbox;
  let k: (...args: string[]) => Promise<string>;
  beforeAll(async () => {
    sb = await startSandbox({ nodes: 3, mirrorFixtureNodes: true, nodesWithoutIpvs: ['k8s-worker-2'] });
    k = kubectl(sb);
  });
  afterAll(async () => { await sb?.stop(); });

  it('get nodes and the kube-proxy ConfigMap as YAML', async () => {
    const nodes = await k('get', 'nodes');
    expect(nodes).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(nodes).toMatch(/k8s-cp-1\s+Ready\s+control-plane\s+\S+\s+v1\.28\.7/);
    expect(nodes).toContain('k8s-worker-2');
    const cm = parseYaml(await k('get', 'cm', 'kube-proxy', '-n', 'kube-system', '-o', 'yaml')) as Any;
    expect(cm.data['config.conf']).toContain('kind: KubeProxyConfiguration');
    expect(cm.data['config.conf']).toMatch(/^mode: ""$/m);
  });

  it('rollout restart completes under rollout status; the kube-proxy log says iptables', async () => {
    await k('rollout', 'restart', 'ds/kube-proxy', '-n', 'kube-system');
    const status = await k('rollout', 'status', 'ds/kube-proxy', '-n', 'kube-system', '--timeout=60s');
    expect(status).toContain('successfully rolled out');
    const pod = await until(() => podOn(k, 'k8s-cp-1'));
    expect(pod.metadata.labels['pod-template-generation']).toBe('2');
    expect(await k('logs', '-n', 'kube-system', pod.metadata.name)).toContain('"Using iptables Proxier"');
  });

  it('mode ipvs + OnDelete: a deleted pod comes back in IPVS mode; the node without IPVS crash-loops', async () => {
    await k('patch', 'ds/kube-proxy', '-n', 'kube-system', '--type=merge', '-p', '{"spec":{"updateStrategy":{"type":"OnDelete"}}}');
    const cm = JSON.parse(await k('get', 'cm', 'kube-proxy', '-n', 'kube-system', '-o', 'json')) as Any;
    const conf = (cm.data['config.conf'] as string).replace(/^mode: ""$/m, 'mode: "ipvs"');
    await k('patch', 'cm/kube-proxy', '-n', 'kube-system', '--type=merge', '-p', JSON.stringify({ data: { 'config.conf': conf } }));
    const old = (await podOn(k, 'k8s-worker-1'))!;
    await k('delete', 'pod', '-n', 'kube-system', old.metadata.name, '--wait=false');
    const fresh = await until(async () => {
      const p = await podOn(k, 'k8s-worker-1');
      return p && p.metadata.uid !== old.metadata.uid && p.status.phase === 'Running' && p;
    });
    expect(await k('logs', '-n', 'kube-system', fresh.metadata.name)).toContain('"Using ipvs Proxier"');
    expect(sb.cluster.host('k8s-worker-1').proxyMode).toBe('ipvs');
    const w2 = (await podOn(k, 'k8s-worker-2'))!;
    await k('delete', 'pod', '-n', 'kube-system', w2.metadata.name, '--wait=false');
    const looping = await until(async () => {
      const p = await podOn(k, 'k8s-worker-2');
      return p && p.metadata.uid !== w2.metadata.uid && p.status.containerStatuses?.[0]?.restartCount >= 1 && p;
    });
    expect(await k('get', 'pods', '-n', 'kube-system', looping.metadata.name)).toMatch(/CrashLoopBackOff|Error/);
    expect(await k('logs', '-n', 'kube-system', looping.metadata.name)).toContain("can't use the IPVS proxier");
  });

  it('a Job with the bot\'s labels gets the node agent\'s JSON result', async () => {
    const spec = nodeJobSpec({ runId: 'kubectl-1', namespace: 'kube-system' }, { phase: 'prep', node: 'k8s-cp-1', targetMode: 'ipvs' });
    const dir = mkdtempSync(join(tmpdir(), 'job-'));
    cacheDirs.push(dir);
    writeFileSync(join(dir, 'job.json'), JSON.stringify(spec.manifest));
    // The scripts the Job mounts, as the bot creates them before its Jobs.
    writeFileSync(join(dir, 'cm.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', immutable: true, metadata: { name: spec.configMap!.name }, data: spec.configMap!.data }));
    await k('create', '--validate=false', '-n', 'kube-system', '-f', join(dir, 'cm.json'));
    await k('create', '--validate=false', '-f', join(dir, 'job.json')); // the sandbox serves no /openapi documents
    await k('wait', '--for=condition=complete', `job/${spec.name}`, '-n', 'kube-system', '--timeout=60s');
    const pods = JSON.parse(await k('get', 'pods', '-n', 'kube-system', '-l', `job-name=${spec.name}`, '-o', 'json')) as { items: Any[] };
    const msg = pods.items[0]!.status.containerStatuses[0].state.terminated.message as string;
    expect(JSON.parse(msg)).toMatchObject({ phase: 'prep', node: 'k8s-cp-1', ok: true, kernel: '6.1.0-27-amd64', modules: { ip_vs: 'loaded' } });
    const log = (await k('logs', '-n', 'kube-system', pods.items[0]!.metadata.name)).trim().split('\n');
    expect(JSON.parse(log[log.length - 1]!)).toMatchObject({ phase: 'prep', ok: true });
    // kubectl delete sends propagationPolicy Background: the Job goes at once, its pod after it (garbage collector)
    await k('delete', 'job', spec.name, '-n', 'kube-system', '--wait=false');
    await until(async () => (await k('get', 'pods', '-n', 'kube-system', '-l', `job-name=${spec.name}`, '-o', 'name')).trim() === '');
    // the host keeps what prep did (a host outlives its pods)
    expect(sb.cluster.host('k8s-cp-1').persistedModules.get('ipvs-bot.conf')).toContain('ip_vs');
  });
});

describe('sandbox on v1.35', () => {
  it('a kube-proxy starting in IPVS mode logs the deprecation error', async () => {
    const sb = await startSandbox({ nodes: 1, kubernetesVersion: 'v1.35.0' });
    try {
      const k = kubectl(sb);
      sb.cluster.setModeBehindBotsBack('ipvs');
      const old = (await podOn(k, 'k8s-cp-1'))!;
      await k('delete', 'pod', '-n', 'kube-system', old.metadata.name, '--wait=false');
      const fresh = await until(async () => {
        const p = await podOn(k, 'k8s-cp-1');
        return p && p.metadata.uid !== old.metadata.uid && p.status.phase === 'Running' && p;
      });
      const log = await k('logs', '-n', 'kube-system', fresh.metadata.name);
      expect(log).toContain('"Using ipvs Proxier"');
      expect(log).toMatch(/^E.*The ipvs proxier is now deprecated and may be removed in a future release\. Please use 'nftables' instead\./m);
      expect(await k('get', 'nodes')).toContain('v1.35.0');
      const ev = sb.store.list('events', 'default').items as Any[];
      expect(ev.find((e) => e.reason === 'IPVSDeprecation')).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node', name: 'k8s-cp-1' } });
    } finally { await sb.stop(); }
  });

  it('a 5,000-node sandbox starts and lists 5,000 nodes', async () => {
    const sb = await startSandbox({ nodes: 5000 });
    try {
      const out = await kubectl(sb)('get', 'nodes', '--no-headers');
      expect(out.trim().split('\n')).toHaveLength(5000);
    } finally { await sb.stop(); }
  });
});
