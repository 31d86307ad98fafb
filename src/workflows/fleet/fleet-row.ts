// One row of the fleet view (issue #13 item 2), built from a cluster's plan facts and what the DB knows about it.
// Pure: facts + running-mode observations + last run in, a row out; fleet-service.ts does the I/O.
import { PlanInput, type ProxyMode } from '../kube-proxy-mode/api.js';
import { adviseFromFacts, configExtras } from '../kube-proxy-mode/advice.js';
import { configText, type ClusterFacts } from '../kube-proxy-mode/facts.js';
import { ruleContext } from '../kube-proxy-mode/rules/rule.js';
import { format, parseKernel } from '../kube-proxy-mode/versions.js';
import { modeDeadline } from './upstream-clock.js';

export interface RunningMode {
  /** node → mode its kube-proxy's /proxyMode answered in the latest verify or prep Job. */
  nodes: Record<string, string>;
  /** When the newest of those answers was recorded (ISO). */
  at: string;
}

export interface LastRun { runId: string; kind: string; state: string; at: string; reason?: string }

export interface FleetRow {
  cluster: string;
  production: boolean;
  wave?: number;
  reachable: boolean;
  error?: string;
  kubernetesVersion?: string;
  kubeProxyVersion?: string;
  /** The mode kube-proxy runs (from /proxyMode) or, failing that, the ConfigMap's; "mixed" when nodes disagree. */
  mode?: ProxyMode | 'mixed';
  modeSource?: 'proxyMode' | 'configmap';
  /** Mode per node count when the source is /proxyMode ("ipvs×3"). */
  modeDetail?: string;
  nodes?: number;
  /** "5.15 … 6.8 (2 kernels)" */
  kernels?: string;
  recommended?: ProxyMode;
  reason?: string;
  releasesLeft?: number;
  deadline?: string;
  lastRun?: LastRun;
  /** True when the recommended mode differs from the current one. */
  needsMove: boolean;
}

function kernelSpread(facts: ClusterFacts): string {
  const ks = [...new Set(facts.nodes.map((n) => n.kernelVersion))];
  if (ks.length === 0) return 'no nodes';
  const parsed = ks.map((k) => ({ k, v: parseKernel(k) })).sort((a, b) =>
    (a.v?.major ?? 0) - (b.v?.major ?? 0) || (a.v?.minor ?? 0) - (b.v?.minor ?? 0) || a.k.localeCompare(b.k));
  const short = (x: { k: string; v?: { major: number; minor: number } | undefined }) => (x.v ? `${x.v.major}.${x.v.minor}` : x.k);
  const lo = short(parsed[0]!); const hi = short(parsed[parsed.length - 1]!);
  return lo === hi ? `${lo}${ks.length > 1 ? ` (${ks.length} builds)` : ''}` : `${lo} … ${hi} (${ks.length} kernels)`;
}

function runningMode(r: RunningMode | undefined): { mode: ProxyMode | 'mixed'; detail: string } | undefined {
  if (!r) return undefined;
  const counts = new Map<string, number>();
  for (const m of Object.values(r.nodes)) counts.set(m, (counts.get(m) ?? 0) + 1);
  const modes = [...counts.keys()].filter((m): m is ProxyMode => m === 'ipvs' || m === 'iptables' || m === 'nftables');
  if (modes.length === 0) return undefined;
  const detail = [...counts].map(([m, n]) => `${m || 'none'}×${n}`).join(', ');
  return { mode: counts.size === 1 ? modes[0]! : 'mixed', detail };
}

export function fleetRow(o: {
  cluster: string; production: boolean; wave?: number; facts: ClusterFacts; running?: RunningMode; lastRun?: LastRun;
}): FleetRow {
  const { facts } = o;
  const ctx = ruleContext(facts, PlanInput.parse({}), 'migrate');
  const extras = configExtras(configText(facts));
  const modeUnset = 'mode' in ctx.settings && ctx.settings.mode === '';
  const run = runningMode(o.running);
  const mode = run?.mode ?? ctx.currentMode;
  const advice = adviseFromFacts(facts);
  const deadline = modeDeadline(mode === 'mixed' ? 'ipvs' : mode, ctx.kubeProxyVersion, {
    ...(extras.ipvsFeatureGate !== undefined ? { ipvsGate: extras.ipvsFeatureGate } : {}), modeUnset: modeUnset && run === undefined,
  });
  return {
    cluster: o.cluster, production: o.production, ...(o.wave !== undefined ? { wave: o.wave } : {}), reachable: true,
    kubernetesVersion: facts.version.gitVersion,
    ...(ctx.kubeProxyVersion ? { kubeProxyVersion: `v${format(ctx.kubeProxyVersion)}` } : {}),
    ...(mode ? { mode, modeSource: run ? 'proxyMode' as const : 'configmap' as const } : {}),
    ...(run ? { modeDetail: run.detail } : {}),
    nodes: facts.nodes.length, kernels: kernelSpread(facts),
    recommended: advice.recommendation.mode, reason: advice.recommendation.reason,
    ...(deadline.releasesLeft !== undefined ? { releasesLeft: deadline.releasesLeft } : {}),
    deadline: deadline.what,
    ...(o.lastRun ? { lastRun: o.lastRun } : {}),
    needsMove: mode !== advice.recommendation.mode,
  };
}

export function unreachableRow(o: { cluster: string; production: boolean; wave?: number; error: string; lastRun?: LastRun }): FleetRow {
  return {
    cluster: o.cluster, production: o.production, ...(o.wave !== undefined ? { wave: o.wave } : {}), reachable: false, error: o.error,
    ...(o.lastRun ? { lastRun: o.lastRun } : {}), needsMove: false,
  };
}

/**
 * Most urgent first: a deadline (fewest releases left first), then unreachable clusters (state unknown), then
 * clusters that should move without a deadline, then the rest; ties by name.
 */
export function byUrgency(a: FleetRow, b: FleetRow): number {
  const rank = (r: FleetRow) => (r.releasesLeft !== undefined ? 0 : !r.reachable ? 1 : r.needsMove ? 2 : 3);
  return rank(a) - rank(b) || (a.releasesLeft ?? 0) - (b.releasesLeft ?? 0) || a.cluster.localeCompare(b.cluster);
}
