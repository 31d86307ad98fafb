// Request-level fault injection for tests: latency (+ jitter, periodic spikes), a fraction of 500s, a fraction of
// hung-then-dropped requests, and a 409 storm on one object. Mutable at run time; deterministic when `seed` is set.
import type { Resource } from './object-store.js';
import { seededRandom } from './seeded-random.js';

export interface Faults {
  latencyMs?: number;
  /** extra uniform random delay in [0, latencyJitterMs) */
  latencyJitterMs?: number;
  /** every Nth resource request waits `ms` more */
  spikes?: { everyN: number; ms: number };
  /** fraction (0..1) of resource requests answered 500 InternalError */
  errorRate?: number;
  /** fraction (0..1) of resource requests that hang `timeoutMs` (default 30 s) and then have their socket destroyed */
  timeoutRate?: number;
  timeoutMs?: number;
  /** the next `count` writes (PUT/PATCH/DELETE) to this object get 409 Conflict; count is decremented */
  conflictStorm?: { resource: Resource; namespace?: string; name: string; count: number };
  /** seeds the random choices; changing it restarts the sequence */
  seed?: number;
}

export function createFaults(init: Faults = {}): Faults {
  return { ...init };
}

const RESETS = Symbol('faultResets');
type Counted = Faults & { [RESETS]?: number };

/** Resets every fault to "none" in place (keeps the object identity tests and servers hold); a seed set afterwards starts its sequence afresh. */
export function clearFaults(f: Faults): void {
  for (const k of Object.keys(f) as (keyof Faults)[]) delete f[k];
  const c = f as Counted;
  Object.defineProperty(c, RESETS, { value: (c[RESETS] ?? 0) + 1, enumerable: false, configurable: true, writable: true });
}

export interface FaultTarget { method: string; resource?: Resource; namespace?: string; name?: string }
export interface FaultDecision { delayMs: number; action: 'none' | 'error' | 'timeout' | 'conflict'; timeoutMs: number }


export class FaultInjector {
  private rand: () => number = Math.random;
  private seenSeed: number | undefined;
  private seenResets = 0;
  private count = 0;

  constructor(private readonly faults: Faults) {}

  decide(t: FaultTarget): FaultDecision {
    const f = this.faults;
    const resets = (f as Counted)[RESETS] ?? 0;
    if (f.seed !== this.seenSeed || resets !== this.seenResets) { this.seenSeed = f.seed; this.seenResets = resets; this.rand = f.seed === undefined ? Math.random : seededRandom(f.seed); this.count = 0; }
    this.count++;
    let delayMs = f.latencyMs ?? 0;
    if (f.latencyJitterMs) delayMs += this.rand() * f.latencyJitterMs;
    if (f.spikes && f.spikes.everyN > 0 && this.count % f.spikes.everyN === 0) delayMs += f.spikes.ms;
    const timeoutMs = f.timeoutMs ?? 30_000;
    const storm = f.conflictStorm;
    const isWrite = t.method === 'PUT' || t.method === 'PATCH' || t.method === 'DELETE';
    if (storm && storm.count > 0 && isWrite && storm.resource === t.resource && storm.name === t.name
      && (storm.namespace === undefined || storm.namespace === t.namespace)) {
      storm.count--;
      return { delayMs, action: 'conflict', timeoutMs };
    }
    // Always draw both numbers so one rate's setting does not shift the other's sequence.
    const e = this.rand(), to = this.rand();
    if (f.errorRate && e < f.errorRate) return { delayMs, action: 'error', timeoutMs };
    if (f.timeoutRate && to < f.timeoutRate) return { delayMs, action: 'timeout', timeoutMs };
    return { delayMs, action: 'none', timeoutMs };
  }
}
