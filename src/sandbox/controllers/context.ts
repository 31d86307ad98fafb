// Shared plumbing of the simulated controllers: injectable timers, a seeded name generator, time, and small
// helpers on pod objects. Everything a controller needs reaches it through one ClusterContext.
import { createHash } from 'node:crypto';
import type { K8sObject, ObjectStore } from '../object-store.js';
import type { ClusterOptions } from '../cluster-options.js';
import type { HostState, ServicePort } from '../node-agent/host-state.js';
import type { ClusterFaults } from '../cluster-faults.js';
import type { PodLogs } from './pod-logs.js';
import { seededRandom } from '../seeded-random.js';

export { seededRandom };

export interface Timers {
  /** Runs fn after ms; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  /** Cancels everything pending (sandbox stop). */
  clear(): void;
}

/** setTimeout-based timers that remember their handles so stop() leaves nothing behind. */
export function realTimers(): Timers {
  const pending = new Set<NodeJS.Timeout>();
  return {
    after(ms, fn) {
      const t = setTimeout(() => { pending.delete(t); fn(); }, ms);
      pending.add(t);
      return () => { clearTimeout(t); pending.delete(t); };
    },
    clear() { for (const t of pending) clearTimeout(t); pending.clear(); },
  };
}


// k8s.io/apimachinery/pkg/util/rand alphabet (no vowels, no 0/1/3 confusables)
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(rng: () => number, n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(rng() * ALPHANUMS.length)];
  return s;
}

/** A 10-char hash like ControllerRevision names (`kube-proxy-7bb746587f`). */
export function templateHash(template: unknown): string {
  const h = createHash('sha256').update(JSON.stringify(template)).digest();
  let s = '';
  for (let i = 0; i < 10; i++) s += ALPHANUMS[(h[i] ?? 0) % ALPHANUMS.length];
  return s;
}

export function isoNow(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface ClusterContext {
  store: ObjectStore;
  opts: ClusterOptions;
  timers: Timers;
  rng: () => number;
  hosts: Map<string, HostState>;
  logs: PodLogs;
  faults: ClusterFaults;
  /** ClusterIP Service ports, as kube-proxy would program them now. */
  services(): ServicePort[];
  now(): Date;
  /** The zone CoreDNS serves now (its Corefile), for the node agent's DNS answers. */
  clusterDomain(): string;
  /** Set once stop() ran: late timers and events do nothing. */
  stopped: boolean;
}

// ---- pod helpers -------------------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = K8sObject & { spec?: any; status?: any };

export const podKey = (p: K8sObject) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
export const phaseOf = (p: Obj): string => p.status?.phase ?? 'Pending';
export const isTerminal = (p: Obj) => phaseOf(p) === 'Succeeded' || phaseOf(p) === 'Failed';
export const isDeleting = (p: K8sObject) => Boolean(p.metadata.deletionTimestamp);
export function isReady(p: Obj): boolean {
  const c = (p.status?.conditions ?? []) as { type: string; status: string }[];
  return c.some((x) => x.type === 'Ready' && x.status === 'True');
}

export function ownedBy(p: K8sObject, uid: string | undefined): boolean {
  const refs = (p.metadata.ownerReferences ?? []) as { uid?: string; controller?: boolean }[];
  return refs.some((r) => r.uid === uid && r.controller);
}

/**
 * Deletes a pod the way the API server does for a controller's DELETE: bound, non-terminal pods only get a
 * deletionTimestamp (the kubelet finishes them); unbound or terminal pods go at once (MODIFIED grace 0, DELETED).
 */
export function deletePod(ctx: ClusterContext, p: Obj): void {
  const { store } = ctx;
  const ns = p.metadata.namespace;
  const name = p.metadata.name;
  if (isDeleting(p) && !(p.spec?.nodeName && !isTerminal(p))) return;
  const grace = Number(p.spec?.terminationGracePeriodSeconds ?? 30);
  if (p.spec?.nodeName && !isTerminal(p) && grace > 0) {
    if (isDeleting(p)) return;
    store.mutate('pods', ns, name, (o) => {
      o.metadata.deletionTimestamp = isoNow(new Date(ctx.now().getTime() + grace * 1000));
      o.metadata.deletionGracePeriodSeconds = grace;
    });
    return;
  }
  finalDelete(ctx, p);
}

/** grace-0 removal: MODIFIED (deletionTimestamp now, grace 0), then DELETED unless finalizers hold it. */
export function finalDelete(ctx: ClusterContext, p: Obj): void {
  const ns = p.metadata.namespace;
  const name = p.metadata.name;
  const cur = ctx.store.get('pods', ns, name) as Obj | undefined;
  if (!cur || cur.metadata.uid !== p.metadata.uid) return;
  if (cur.metadata.deletionGracePeriodSeconds !== 0) {
    ctx.store.mutate('pods', ns, name, (o) => {
      o.metadata.deletionTimestamp = isoNow(ctx.now());
      o.metadata.deletionGracePeriodSeconds = 0;
    });
  }
  const fin = (cur.metadata.finalizers ?? []) as string[];
  if (fin.length === 0) ctx.store.delete('pods', ns, name, { uid: cur.metadata.uid as string });
}
