// The fleet: one row per configured cluster (read concurrently, an unreachable one answers quickly), and fleet runs
// that plan every chosen cluster at once and group them in waves. Per-cluster policy, lock and approval stay the
// engine's; a wave is only a gate on which runs may be approved (waves.ts).
import { randomBytes } from 'node:crypto';
import type { ClusterConfig } from '../../config.js';
import type { Cluster } from '../../k8s/cluster.js';
import { K8sError } from '../../k8s/errors.js';
import type { RunDb } from '../../db/run-store.js';
import type { Engine } from '../engine/engine.js';
import { silentLogger, type Logger } from '../engine/ports.js';
import { PlanInput, WorkflowError, type Plan, type RunStatus } from '../kube-proxy-mode/api.js';
import { blockers } from '../kube-proxy-mode/checks.js';
import { gatherFacts } from '../kube-proxy-mode/gather-facts.js';
import { assemblePlan, planBlocked, policyOf } from '../kube-proxy-mode/plan.js';
import { byUrgency, fleetRow, unreachableRow, type FleetRow } from './fleet-row.js';
import { fleetRunIds, lastRun, runningMode } from './fleet-runs.js';
import { attachRehearsal, type RehearseFn } from '../rehearsal/attach-rehearsal.js';
import { planGatesOf } from '../kube-proxy-mode/gates/plan-gates.js';
import { assignWaves, fleetState, globToRegExp, type FleetRunState } from './waves.js';

export interface FleetOptions {
  /** Needed by plan() and state(); the read-only CLI view goes without. */
  engine?: Engine;
  /** Runs (last run, /proxyMode answers); without it the rows show the ConfigMap's mode and no last run. */
  db?: RunDb;
  clusterFor(name: string): Cluster;
  config: { clusters: readonly ClusterConfig[]; waves?: readonly (readonly string[])[] };
  clock: { now(): number };
  logger?: Logger;
  /** A cluster that has not answered by then is an "unreachable" row (default 8 s). */
  readTimeoutMs?: number;
  /** /proxyMode answers older than this are ignored in favour of the ConfigMap (default 24 h). */
  runningModeMaxAgeMs?: number;
  /** The same rehearsal a one-cluster plan gets (issue #13: every plan is rehearsed before it can be approved). */
  rehearse?: RehearseFn;
}

/** Which clusters a fleet plan covers: names and/or globs, or every cluster whose row says it should move. */
export type FleetSelector = { names: string[] } | { needsMove: true };

export interface Fleet {
  rows(): Promise<FleetRow[]>;
  /** allowed: clusters that may be managed from the asking channel; the others are left out and named in skipped. */
  plan(selector: FleetSelector, input: PlanInput, requester: string, allowed?: (cluster: string) => boolean): Promise<{ state: FleetRunState; skipped: { cluster: string; why: string }[] }>;
  state(fleetId: string): FleetRunState | undefined;
  /** The fleet a run belongs to, if any. */
  fleetOf(runId: string): string | undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { t = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

function reachError(e: unknown): string {
  if (e instanceof K8sError) return `${e.kind}${e.status ? ` ${e.status}` : ''}: ${e.message.slice(0, 200)}`;
  return e instanceof Error ? e.message.slice(0, 200) : String(e);
}

export function createFleet(o: FleetOptions): Fleet {
  const log = o.logger ?? silentLogger;
  const timeoutMs = o.readTimeoutMs ?? 8_000;
  const maxAge = o.runningModeMaxAgeMs ?? 86_400_000;
  const waveOf = new Map<string, number>();
  for (const w of assignWaves(o.config.clusters, o.config.waves)) for (const c of w.clusters) waveOf.set(c, w.wave);

  async function row(c: ClusterConfig): Promise<FleetRow> {
    const base = { cluster: c.name, production: c.production, ...(waveOf.has(c.name) ? { wave: waveOf.get(c.name)! } : {}) };
    const last = o.db ? lastRun(o.db, c.name) : undefined;
    try {
      const facts = await withTimeout(gatherFacts(o.clusterFor(c.name), c.name), timeoutMs, `${c.name}'s API server`);
      const running = o.db ? runningMode(o.db, c.name, o.clock.now(), maxAge) : undefined;
      return fleetRow({ ...base, facts, ...(running ? { running } : {}), ...(last ? { lastRun: last } : {}) });
    } catch (e) {
      log.warn({ cluster: c.name, err: reachError(e) }, 'fleet: cluster unreachable');
      return unreachableRow({ ...base, error: reachError(e), ...(last ? { lastRun: last } : {}) });
    }
  }

  async function rows(): Promise<FleetRow[]> {
    return (await Promise.all(o.config.clusters.map(row))).sort(byUrgency);
  }

  function engineAndDb(): { engine: Engine; db: RunDb } {
    if (!o.engine || !o.db) throw new WorkflowError('internal', 'Fleet runs need the bot\'s engine and database.');
    return { engine: o.engine, db: o.db };
  }

  function state(fleetId: string): FleetRunState | undefined {
    const { engine, db } = engineAndDb();
    const members = fleetRunIds(db, fleetId).flatMap(({ id, fleet }) => {
      const run = engine.getRun(id);
      return run ? [{ run, fleet }] : [];
    });
    return fleetState(members);
  }

  async function choose(sel: FleetSelector): Promise<{ names: string[]; skipped: { cluster: string; why: string }[] }> {
    const all = o.config.clusters.map((c) => c.name);
    if ('names' in sel) {
      // Each entry is a cluster name or a glob (`dev-*`); a name must exist and a glob must match something.
      const names: string[] = [];
      for (const n of sel.names) {
        const hit = /[*?]/.test(n) ? all.filter((c) => globToRegExp(n).test(c)) : all.filter((c) => c === n);
        if (!hit.length) throw new WorkflowError('unknown_cluster', `${/[*?]/.test(n) ? 'No cluster matches' : "I don't know a cluster called"} "${n.slice(0, 64)}". Known clusters: ${all.join(', ')}.`);
        names.push(...hit);
      }
      return { names: [...new Set(names)], skipped: [] };
    }
    const rs = await rows();
    const skipped = rs.filter((r) => !r.needsMove).map((r) => ({ cluster: r.cluster, why: r.reachable ? `already runs ${r.mode}, the recommended mode` : `unreachable (${r.error ?? 'no answer'})` }));
    const names = rs.filter((r) => r.needsMove).map((r) => r.cluster);
    if (!names.length) throw new WorkflowError('invalid', 'No cluster needs a move: every reachable cluster already runs its recommended mode.');
    return { names, skipped };
  }

  async function planOne(cluster: string, input: PlanInput, requester: string, fleet: { id: string; wave: number; waves: number }): Promise<RunStatus> {
    const cfg = o.config.clusters.find((c) => c.name === cluster)!;
    const { engine } = engineAndDb();
    const busy = engine.listRuns({ cluster, active: true }).find((r) => !(r.state === 'awaiting_approval' && Date.parse(r.plan.expiresAt) <= o.clock.now()));
    if (busy) throw new WorkflowError('locked', `Cluster ${cluster} is busy: run ${busy.runId} is ${busy.state.replace('_', ' ')}.`);
    const facts = await withTimeout(gatherFacts(o.clusterFor(cluster), cluster), timeoutMs, `${cluster}'s API server`);
    // As workflows-service plans one cluster: rehearsed (a failed rehearsal blocks approval), gates shown on the card.
    let plan: Plan = assemblePlan(facts, input, policyOf(cfg), o.clock);
    plan = await attachRehearsal(plan, facts, cfg, o.rehearse, false);
    const gates = planGatesOf(cfg); if (gates) plan.gates = gates;
    const status = engine.createRun({
      kind: 'migrate', cluster, requester, input: { ...plan.input, fleet } as never, plan: plan as never, planDigest: plan.digest,
      requiredApprovals: cfg.requiredApprovals, expiresAt: plan.expiresAt,
    });
    if (!planBlocked(plan)) return status;
    return engine.reject(status.runId, 'ipvs-bot', `blocked by pre-flight checks: ${blockers(plan.checks).map((c) => c.message).join(' ')}`);
  }

  return {
    rows,
    state,
    fleetOf(runId) {
      const r = (engineAndDb().db as unknown as { $client: { prepare(s: string): { get(...a: unknown[]): unknown } } }).$client
        .prepare(`select json_extract(input_json, '$.fleet.id') as f from runs where id = ?`).get(runId) as { f: string | null } | undefined;
      return r?.f ?? undefined;
    },
    async plan(sel, rawInput, requester, allowed) {
      const input = PlanInput.parse(rawInput);
      const chosen = await choose(sel);
      // The channel restriction holds for fleet runs too (issue #14 item 2): a cluster managed elsewhere is not planned.
      const names = allowed ? chosen.names.filter(allowed) : chosen.names;
      const skipped = [...chosen.skipped, ...chosen.names.filter((n) => !names.includes(n)).map((cluster) => ({ cluster, why: 'managed from other channels; plan it there' }))];
      if (!names.length) throw new WorkflowError('invalid', `None of those clusters may be managed from this channel: ${chosen.names.join(', ')}.`);
      const groups = assignWaves(o.config.clusters.filter((c) => names.includes(c.name)), o.config.waves);
      const id = `fleet-${randomBytes(4).toString('hex')}`;
      const failed: { cluster: string; why: string }[] = [];
      // Plans are gathered concurrently; a cluster that cannot be planned is reported and left out of the fleet run.
      await Promise.all(groups.flatMap((g, i) => g.clusters.map(async (cluster) => {
        try {
          await planOne(cluster, input, requester, { id, wave: i + 1, waves: groups.length });
        } catch (e) {
          log.warn({ cluster, fleet: id, err: reachError(e) }, 'fleet: could not plan');
          failed.push({ cluster, why: e instanceof WorkflowError ? e.message : `could not plan: ${reachError(e)}` });
        }
      })));
      const st = state(id);
      if (!st) throw new WorkflowError('invalid', `No cluster could be planned: ${failed.map((f) => `${f.cluster}: ${f.why}`).join('; ')}`);
      return { state: st, skipped: [...skipped, ...failed] };
    },
  };
}
