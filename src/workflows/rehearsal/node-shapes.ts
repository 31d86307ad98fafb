// Why a 1,000-node plan rehearses in seconds: the sandbox decides what a node can do only from its facts (kernel,
// OS image → nft, runtime, readiness, labels, taints, probed modules; node-agent/agent-prep.ts, kubelet.ts), never
// from its name. So nodes with the same facts go through every step identically, and one representative per shape,
// in the first batch the shape appears in and named after its first real node, rehearses them all. The rollout keeps
// the plan's batches (same count and order, canary first), so a failure lands at the step the real run reaches first.
import type { NodeInfo } from '../../k8s/cluster.js';
import type { NodeProbe } from '../../sandbox/seed-from-facts.js';

export interface Reduced {
  /** One NodeInfo per representative, in rollout order. */
  nodes: NodeInfo[];
  rollout: { canary: string; batches: string[][] };
  /** Representative → the real nodes it stands for (itself first). */
  members: Map<string, string[]>;
}

// Labels that differ per node without changing what the node can do.
const PER_NODE_LABELS = new Set(['kubernetes.io/hostname']);

export function shapeKey(n: NodeInfo, probe: NodeProbe | undefined): string {
  const labels = Object.entries(n.labels).filter(([k]) => !PER_NODE_LABELS.has(k)).sort(([a], [b]) => a.localeCompare(b));
  const taints = n.taints.map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).sort();
  return JSON.stringify([n.kernelVersion, n.osImage, n.containerRuntimeVersion, n.ready, n.operatingSystem ?? '', labels, taints, probe ?? null]);
}

/** Representatives per shape of `rollout` (plus one per batch that has no new shape) over `nodes`; nodes outside the rollout are left out, as the run leaves them. */
export function reduceByShape(nodes: readonly NodeInfo[], rollout: { canary: string; batches: string[][] }, probes: Record<string, NodeProbe> = {}): Reduced {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const members = new Map<string, string[]>();
  const out: NodeInfo[] = [];
  // A shape that went through an earlier batch adds nothing later (its nodes' fate is decided by the first one,
  // and a real run stops at its first failing batch), but every batch keeps one node so the batch count holds.
  const seen = new Map<string, string>();
  const reduce = (batch: string[]): string[] => {
    const reps: string[] = [];
    for (const name of batch) {
      const n = byName.get(name);
      if (!n) continue;
      const key = shapeKey(n, probes[name]);
      const rep = seen.get(key);
      if (rep) { members.get(rep)!.push(name); continue; }
      seen.set(key, name);
      members.set(name, [name]);
      reps.push(name);
      out.push(n);
    }
    const first = batch.find((x) => byName.has(x));
    if (reps.length === 0 && first) {
      // This batch's placeholder: its own member, taken out of the earlier representative's list.
      for (const list of members.values()) { const i = list.indexOf(first); if (i > 0) list.splice(i, 1); }
      members.set(first, [first]);
      reps.push(first);
      out.push(byName.get(first)!);
    }
    return reps;
  };
  const canary = rollout.canary ? reduce([rollout.canary])[0] ?? '' : '';
  const batches = rollout.batches.map(reduce).filter((b) => b.length > 0);
  return { nodes: out, rollout: { canary, batches }, members };
}
