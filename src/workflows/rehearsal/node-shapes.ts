// Why a 1,000-node plan rehearses in seconds: the sandbox decides what a node can do only from its facts (kernel,
// OS image → nft, runtime, readiness, labels, taints, probed modules; node-agent/agent-prep.ts, kubelet.ts), never
// from its name. So within one restart batch, nodes with the same facts go through every step identically, and one
// representative per (batch, shape) — named after the first real node of its group — rehearses them all. The
// rollout keeps the plan's batches (same count and order, canary first), so a failure lands at the same step.
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

/** Representatives per (batch, shape) of `rollout` over `nodes`; nodes outside the rollout are left out, as the run leaves them. */
export function reduceByShape(nodes: readonly NodeInfo[], rollout: { canary: string; batches: string[][] }, probes: Record<string, NodeProbe> = {}): Reduced {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const members = new Map<string, string[]>();
  const out: NodeInfo[] = [];
  const reduce = (batch: string[]): string[] => {
    const reps = new Map<string, string>();
    for (const name of batch) {
      const n = byName.get(name);
      if (!n) continue;
      const key = shapeKey(n, probes[name]);
      const rep = reps.get(key);
      if (rep) { members.get(rep)!.push(name); continue; }
      reps.set(key, name);
      members.set(name, [name]);
      out.push(n);
    }
    return [...reps.values()];
  };
  const canary = rollout.canary ? reduce([rollout.canary])[0] ?? '' : '';
  const batches = rollout.batches.map(reduce).filter((b) => b.length > 0);
  return { nodes: out, rollout: { canary, batches }, members };
}
