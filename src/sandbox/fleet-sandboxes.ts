// Several simulated clusters at once (issue #13 item 4): `npm run sandbox -- --clusters 3`, the demo's fleet part
// and the fleet tests. Each profile is one version/mode combination a real fleet has mid-migration.
import { writeKubeconfig } from './kubeconfig.js';
import { setModeBehindBotsBack } from './cluster-faults.js';
import { startSandbox, type Sandbox, type SandboxOptions } from './index.js';
import { stringify } from 'yaml';

export interface FleetProfile { name: string; mode: 'ipvs' | 'iptables' | 'nftables' | ''; sandbox: SandboxOptions }

const MODERN = '6.1.0-27-amd64';
/** dev: 1.35 in IPVS (deprecated, 5 releases left); staging: 1.30 with no mode set; prod: 1.28 in IPVS. Repeats past 3. */
export const FLEET_PROFILES: readonly FleetProfile[] = [
  { name: 'dev', mode: 'ipvs', sandbox: { kubernetesVersion: 'v1.35.0', kernel: MODERN } },
  { name: 'staging', mode: '', sandbox: { kubernetesVersion: 'v1.30.4', kernel: MODERN } },
  { name: 'prod', mode: 'ipvs', sandbox: { kubernetesVersion: 'v1.28.7', kernel: MODERN } },
];

export function fleetProfiles(n: number): FleetProfile[] {
  return Array.from({ length: n }, (_, i) => {
    const p = FLEET_PROFILES[i % FLEET_PROFILES.length]!;
    return { ...p, name: `${p.name}-${Math.floor(i / FLEET_PROFILES.length) + 1}` };
  });
}

type PodObj = { metadata: { name: string; deletionTimestamp?: string }; spec?: { nodeName?: string }; status?: { phase?: string } };

/**
 * Puts a fresh sandbox into `mode` the way an operator would have: edit config.conf, then delete every kube-proxy
 * pod so the DaemonSet's new pods start in it; resolves once every node's host reports that mode.
 */
export async function startInMode(sb: Sandbox, mode: FleetProfile['mode'], timeoutMs = 20_000): Promise<void> {
  if (mode === '') return;
  setModeBehindBotsBack(sb.store, mode);
  for (const p of sb.store.list('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' }).items as PodObj[]) {
    sb.store.delete('pods', 'kube-system', p.metadata.name, { gracePeriodSeconds: 0 });
  }
  const end = Date.now() + timeoutMs;
  const linux = sb.cluster.nodes.filter((n) => !n.windows);
  while (!linux.every((n) => sb.cluster.host(n.name).proxyMode === mode)) {
    if (Date.now() > end) throw new Error(`sandbox did not reach ${mode} mode`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface FleetSandboxes { clusters: { name: string; mode: string; version: string; sandbox: Sandbox }[]; kubeconfigPath: string; stop(): Promise<void> }

/** Starts one sandbox per profile and writes one kubeconfig with a context per cluster (named like the cluster). */
export async function startFleetSandboxes(profiles: readonly FleetProfile[], o: { kubeconfigPath?: string; base?: SandboxOptions } = {}): Promise<FleetSandboxes> {
  const started: FleetSandboxes['clusters'] = [];
  try {
    for (const p of profiles) {
      const sandbox = await startSandbox({ nodes: 3, ...o.base, ...p.sandbox });
      started.push({ name: p.name, mode: p.mode || 'iptables (unset)', version: sandbox.cluster.opts.kubernetesVersion, sandbox });
      await startInMode(sandbox, p.mode);
    }
  } catch (e) {
    for (const c of started) await c.sandbox.stop().catch(() => {});
    throw e;
  }
  const kubeconfigPath = writeKubeconfig(stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: started.map((c) => ({ name: c.name, cluster: { server: c.sandbox.url } })),
    users: started.map((c) => ({ name: `${c.name}-admin`, user: { token: c.sandbox.token } })),
    contexts: started.map((c) => ({ name: c.name, context: { cluster: c.name, user: `${c.name}-admin`, namespace: 'default' } })),
    'current-context': started[0]?.name ?? '',
    preferences: {},
  }), o.kubeconfigPath);
  return {
    clusters: started, kubeconfigPath,
    async stop() {
      for (const c of started) await c.sandbox.stop().catch(() => {});
      if (!o.kubeconfigPath) (await import('node:fs')).rmSync((await import('node:path')).dirname(kubeconfigPath), { recursive: true, force: true });
    },
  };
}
