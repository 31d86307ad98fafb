// The step types of this workflow, fixed once (engine generics: stored input, stored plan, per-run deps).
import { rerunIsSafe, type StepContext, type StepDef } from '../../engine/define.js';
import { StepError } from '../../engine/errors.js';
import { K8sError } from '../../../k8s/errors.js';
import type { Plan, PlanInput } from '../api.js';
import type { KpmDeps, VerifyTargets } from '../deps.js';

export type Ctx = StepContext<PlanInput, Plan, KpmDeps>;
export type Step = StepDef<PlanInput, Plan, KpmDeps>;

/** A pod recorded by the snapshot step, so that the rollout needs no per-node pod listing. */
export interface PodRef { name: string; uid: string }

export interface SnapshotResult {
  [key: string]: unknown;
  pods: Record<string, PodRef>;
  targets: VerifyTargets;
  kubeProxyImage: string;
  /** The DaemonSet's pod selector (older snapshots: none, kubeadm's k8s-app=kube-proxy). */
  podSelector?: string;
  /** calico-node pods per node when Calico runs (Felix detects the mode only at start-up, domain §3). */
  calico?: { namespace: string; pods: Record<string, PodRef> };
}

/** Runs fn over items with at most `limit` in flight; returns results in input order (settled). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try { out[i] = { status: 'fulfilled', value: await fn(items[i]!) }; } catch (e) { out[i] = { status: 'rejected', reason: e }; }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Kubernetes errors the adapter marks retryable (409 on a lease, 429, 5xx, timeouts) become StepError('retryable'),
 * so the engine retries the step with backoff; steps are idempotent, so done nodes are skipped on the retry.
 */
export function retryTransient(step: Step): Step {
  const map = (e: unknown): never => {
    if (e instanceof K8sError && e.retryable) throw new StepError('retryable', e.message, { cause: e });
    throw e;
  };
  const { run, compensate } = step;
  return {
    ...step,
    retry: step.retry ?? { max: 5, baseMs: 1_000 },
    // Every step here is an ensure…: per-node progress is recorded and Jobs have deterministic names, so a step
    // interrupted by a crash is safely run again (done nodes are skipped, existing Jobs are found, not re-created).
    observe: step.observe ?? rerunIsSafe,
    run: (ctx) => run(ctx).catch(map),
    ...(compensate ? { compensate: (ctx: Ctx, result: Parameters<NonNullable<Step['compensate']>>[1]) => compensate(ctx, result).catch(map) } : {}),
  };
}

/**
 * The outcome of a batch of per-node promises: nothing when all succeeded; a retryable StepError when every failure
 * was a transient Kubernetes error (the retry skips the nodes already done); otherwise a fatal one naming the nodes.
 */
export function batchOutcome(settled: PromiseSettledResult<unknown>[], what: string): void {
  const reasons = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (reasons.length === 0) return;
  const text = reasons.map(errorText).join(' | ');
  if (reasons.every((r) => r instanceof K8sError && r.retryable)) throw new StepError('retryable', `${what}: ${text}`, { cause: reasons[0] });
  throw new StepError('fatal', `${what} on ${text}`);
}
