// Which wave each cluster moves in (config `waves: [[dev-*], [staging-*], [prod-*]]` or per-cluster `wave: N`), and a
// fleet run's wave states derived from its per-cluster runs (issue #13 item 3). Pure.
import type { RunState, RunStatus } from '../kube-proxy-mode/api.js';

/** `dev-*`, `prod-?u` → a whole-name match ('*' any run of characters, '?' one). */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export function matchesAny(name: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(name));
}

/**
 * 1-based wave per cluster: its own `wave: N` first, else the first `waves` group with a matching glob, else one wave
 * after every configured one. Returns the clusters grouped in wave order, empty waves dropped.
 */
export function assignWaves(clusters: readonly { name: string; wave?: number }[], waves: readonly (readonly string[])[] = []): { wave: number; clusters: string[] }[] {
  const last = Math.max(waves.length, ...clusters.map((c) => c.wave ?? 0)) + 1;
  const byWave = new Map<number, string[]>();
  for (const c of clusters) {
    const group = waves.findIndex((g) => matchesAny(c.name, g));
    const w = c.wave ?? (group >= 0 ? group + 1 : last);
    byWave.set(w, [...(byWave.get(w) ?? []), c.name]);
  }
  return [...byWave].sort(([a], [b]) => a - b).map(([wave, names]) => ({ wave, clusters: names }));
}

export interface FleetMeta { id: string; wave: number; waves: number }
export interface FleetMember { run: RunStatus; fleet: FleetMeta }

export type WaveStatus = 'awaiting_approval' | 'running' | 'succeeded' | 'failed';
export interface WaveState {
  /** 1-based position in the fleet run (not the configured wave number, which may skip). */
  index: number;
  runs: RunStatus[];
  status: WaveStatus;
  approvable: boolean;
  /** Why it cannot be approved (earlier wave not done / failed), or why it failed. */
  why?: string;
}
export interface FleetRunState { fleetId: string; requester: string; waves: WaveState[]; stoppedAt?: number }

const FAILED: ReadonlySet<RunState> = new Set(['failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided']);

function waveStatus(runs: RunStatus[]): { status: WaveStatus; why?: string } {
  const bad = runs.find((r) => FAILED.has(r.state));
  if (bad) return { status: 'failed', why: `${bad.cluster} ${bad.state.replace('_', ' ')}${bad.reason ? `: ${bad.reason}` : ''}` };
  if (runs.every((r) => r.state === 'succeeded')) return { status: 'succeeded' };
  if (runs.some((r) => r.state !== 'awaiting_approval' && r.state !== 'succeeded')) return { status: 'running' };
  return { status: 'awaiting_approval' };
}

/** The fleet run as its runs say it is: a wave is approvable only when every earlier wave succeeded. */
export function fleetState(members: readonly FleetMember[]): FleetRunState | undefined {
  if (members.length === 0) return undefined;
  const count = Math.max(...members.map((m) => m.fleet.waves));
  const waves: WaveState[] = [];
  let stoppedAt: number | undefined;
  for (let i = 1; i <= count; i++) {
    const runs = members.filter((m) => m.fleet.wave === i).map((m) => m.run).sort((a, b) => a.cluster.localeCompare(b.cluster));
    const s = waveStatus(runs);
    const prev = waves[i - 2];
    let approvable = s.status === 'awaiting_approval' || (s.status === 'running' && runs.some((r) => r.state === 'awaiting_approval'));
    let why = s.why;
    if (stoppedAt !== undefined) {
      approvable = false;
      why = `the fleet run stopped at wave ${stoppedAt}`;
    } else if (prev && prev.status !== 'succeeded') {
      approvable = false;
      why = why ?? `waits for wave ${i - 1} to succeed`;
    }
    if (s.status === 'failed' && stoppedAt === undefined) stoppedAt = i;
    waves.push({ index: i, runs, status: s.status, approvable, ...(why ? { why } : {}) });
  }
  const first = members[0]!;
  return { fleetId: first.fleet.id, requester: first.run.requester, waves, ...(stoppedAt !== undefined ? { stoppedAt } : {}) };
}
