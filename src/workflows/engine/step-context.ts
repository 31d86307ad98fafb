// Builds the StepContext a step receives: run facts, deps, and the few durable verbs a step may use.
import { getSnapshot, getStepRows, record, saveSnapshot, setRunFields, type RunDb } from '../../db/run-store.js';
import type { RunEvent } from '../kube-proxy-mode/api.js';
import type { Json, JsonObject, NodeResult, RunInfo, SnapshotData, StepContext } from './define.js';
import type { Clock, Logger, Notifier } from './ports.js';

export interface ContextEnv {
  db: RunDb;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  signal: AbortSignal;
}

export function notifySafely(notifier: Notifier, logger: Logger, event: RunEvent): void {
  // A Slack hiccup must never break a run: events are best effort, the DB is the record.
  try {
    const p = notifier.notify(event);
    if (p && typeof (p as Promise<void>).catch === 'function') {
      (p as Promise<void>).catch((err: unknown) => logger.warn({ err: String(err), runId: event.runId, type: event.type }, 'notifier failed'));
    }
  } catch (err) {
    logger.warn({ err: String(err), runId: event.runId, type: event.type }, 'notifier failed');
  }
}

export function parseJson(text: string | null): Json | null {
  return text === null ? null : (JSON.parse(text) as Json);
}

export function makeStepContext<I, P, D>(env: ContextEnv, run: RunInfo<I, P>, deps: D, stepId: string, attempt: number): StepContext<I, P, D> {
  const { db, clock, notifier } = env;
  // Every line a step logs carries its run and cluster (operators grep by either).
  const logger = env.logger.child ? env.logger.child({ run: run.runId, cluster: run.cluster, step: stepId }) : env.logger;
  const emit = (event: RunEvent): void => notifySafely(notifier, logger, event);
  return {
    ...run,
    stepId,
    attempt,
    deps,
    clock,
    logger,
    signal: env.signal,
    emit,
    log: (text) => emit({ type: 'log', runId: run.runId, text }),
    results(id) {
      const row = getStepRows(db, run.runId, id).find((s) => s.node === '' && s.status === 'succeeded');
      return row ? (parseJson(row.resultJson) ?? null) : undefined;
    },
    nodeResults(id = stepId) {
      const out: Record<string, NodeResult> = {};
      for (const s of getStepRows(db, run.runId, id)) {
        if (s.node === '') continue;
        out[s.node] = { node: s.node, phase: s.phase ?? '', ok: s.status === 'ok', result: (parseJson(s.resultJson) ?? {}) as JsonObject, at: s.finishedAt ?? s.startedAt };
      }
      return out;
    },
    saveNodeResult(node, phase, ok, result) {
      record(db, {
        runId: run.runId,
        steps: [{ stepId, node, status: ok ? 'ok' : 'failed', phase, resultJson: JSON.stringify(result), error: ok ? null : summarise(result) }],
        audit: [{ actor: 'system', type: `node.${phase}`, payload: { step: stepId, node, ok, result } }],
      }, clock.now());
      emit({ type: 'node', runId: run.runId, node, phase, ok, result });
    },
    saveSnapshot(s: SnapshotData) {
      const row = saveSnapshot(db, run.runId, {
        configmapText: s.configmapText, configmapRv: s.configmapResourceVersion, dsUpdateStrategyJson: JSON.stringify(s.dsUpdateStrategy),
      }, clock.now());
      return toSnapshotData(row);
    },
    snapshot(runId = run.runId) {
      const row = getSnapshot(db, runId);
      return row ? toSnapshotData(row) : undefined;
    },
    async sleep(ms) {
      // Stored first: after a crash the runner waits out the remainder before re-observing this step.
      setRunFields(db, run.runId, { wakeAtMs: clock.now() + ms });
      if (env.signal.aborted) throw new Error('engine stopping');
      await new Promise<void>((resolve, reject) => {
        const t = clock.setTimer(ms, () => { env.signal.removeEventListener('abort', onAbort); resolve(); });
        // On shutdown the wait ends at once; the stored wake_at makes the next process wait the rest.
        const onAbort = (): void => { t.cancel(); reject(new Error('engine stopping')); };
        env.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

function toSnapshotData(row: { configmapText: string; configmapRv: string; dsUpdateStrategyJson: string }): SnapshotData {
  return { configmapText: row.configmapText, configmapResourceVersion: row.configmapRv, dsUpdateStrategy: JSON.parse(row.dsUpdateStrategyJson) as JsonObject };
}

function summarise(result: JsonObject): string | null {
  const errors = result['errors'];
  if (Array.isArray(errors) && errors.length > 0) return errors.map(String).join('; ').slice(0, 500);
  const reason = result['reason'] ?? result['error'];
  return typeof reason === 'string' ? reason.slice(0, 500) : null;
}
