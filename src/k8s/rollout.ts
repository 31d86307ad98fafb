// Pure: the order in which nodes switch kube-proxy mode. A worker is the canary and control-plane nodes go
// last, one at a time: on a control-plane node kube-proxy programs the paths the API server uses to reach
// webhooks and aggregated APIs (metrics-server) through Service ClusterIPs, so a bad kube-proxy there can break
// API calls - including the bot's own rollback. Proving the new mode on workers first keeps the API healthy
// while the risk is discovered (domain §3 per-node gating, §8.2 minimise blast radius).

export interface RolloutNode { name: string; controlPlane: boolean }
export interface RolloutOrder { canary: string; batches: string[][] }
export type BatchSpec = { kind: 'count'; n: number } | { kind: 'percent'; percent: number };

export class RolloutError extends Error {
  constructor(message: string) { super(message); this.name = 'RolloutError'; }
}

/** Parse `--batch N|N%`: N ≥ 1, or 1-100 %. */
export function parseBatchSpec(spec: string | number | undefined): BatchSpec {
  if (spec === undefined) return { kind: 'count', n: 1 };
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1) throw new RolloutError(`--batch must be a whole number ≥ 1 or a percentage, got ${spec}`);
    return { kind: 'count', n: spec };
  }
  const m = /^\s*(\d{1,6})\s*(%?)\s*$/.exec(spec);
  if (!m) throw new RolloutError(`--batch must look like 5 or 20%, got ${JSON.stringify(spec.slice(0, 20))}`);
  const v = Number(m[1]);
  if (m[2] === '%') {
    if (v < 1 || v > 100) throw new RolloutError(`--batch percentage must be between 1% and 100%, got ${v}%`);
    return { kind: 'percent', percent: v };
  }
  if (v < 1) throw new RolloutError('--batch must be at least 1');
  return { kind: 'count', n: v };
}

/** Batch size for `total` nodes (percentages count all nodes and round up, as maxUnavailable does). */
export function batchSize(spec: BatchSpec, total: number): number {
  if (spec.kind === 'count') return spec.n;
  return Math.max(1, Math.ceil((total * spec.percent) / 100));
}

/**
 * Canary first (the first worker by name; a control-plane node only when there are no workers), then workers in
 * batches of `batch`, then control-plane nodes one per batch. Order within a group is by natural name order, so
 * the plan is deterministic and reads like the node list.
 */
export function planRollout(nodes: readonly RolloutNode[], batch?: string | number | BatchSpec): RolloutOrder {
  if (nodes.length === 0) throw new RolloutError('the cluster has no nodes to roll out to');
  const names = new Set<string>();
  for (const n of nodes) {
    if (names.has(n.name)) throw new RolloutError(`node ${n.name} is listed twice`);
    names.add(n.name);
  }
  const spec = typeof batch === 'object' ? batch : parseBatchSpec(batch);
  const byName = (a: RolloutNode, b: RolloutNode) => a.name.localeCompare(b.name, 'en', { numeric: true });
  const workers = nodes.filter((n) => !n.controlPlane).sort(byName).map((n) => n.name);
  const control = nodes.filter((n) => n.controlPlane).sort(byName).map((n) => n.name);
  const ordered = [...workers, ...control];
  const canary = ordered[0]!;
  const size = batchSize(spec, nodes.length);
  const batches: string[][] = [];
  const restWorkers = workers.filter((n) => n !== canary);
  for (let i = 0; i < restWorkers.length; i += size) batches.push(restWorkers.slice(i, i + size));
  for (const c of control) if (c !== canary) batches.push([c]);
  return { canary, batches };
}
