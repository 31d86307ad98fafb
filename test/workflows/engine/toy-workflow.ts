// A toy workflow for engine tests: steps named by the run's input; each call is recorded, and a test
// (or the kill -9 child) can script what any step's run / observe / compensate does.
import { DEFAULT_DECISION_TIMEOUT_MS, defineWorkflow, type Json, type StepContext, type StepDef, type WorkflowDef } from '../../../src/workflows/engine/define.js';

export interface ToyInput {
  steps: string[];
  autoRollback?: boolean;
  /** Steps with a compensate (all by default). */
  compensable?: string[];
  /** Steps with an observe (none by default). */
  observable?: string[];
  retry?: Record<string, { max: number; baseMs: number }>;
  gates?: string[];
  timeouts?: Record<string, number>;
  /** How long an inconclusive step waits for a decision (default: the engine's 30 min). */
  decisionTimeoutMs?: number;
}

type Ctx = StepContext<ToyInput, Json, ToyScript>;

export interface ToyScript {
  calls: string[];
  run?: Record<string, (ctx: Ctx) => Promise<Json>>;
  observe?: Record<string, (ctx: Ctx) => Promise<Json | 'unknown' | 'not-applied'>>;
  compensate?: Record<string, (ctx: Ctx, result: Json | null) => Promise<Json>>;
  /** Returns a drift reason or null; called at start and before gated steps. */
  drift?: () => string | null;
}

export function toyWorkflow(script: ToyScript, kind = 'toy'): WorkflowDef<ToyInput, Json, ToyScript> {
  return defineWorkflow<ToyInput, Json, ToyScript>({
    kind,
    deps: () => script,
    steps(run) {
      const i = run.input;
      return i.steps.map((id): StepDef<ToyInput, Json, ToyScript> => {
        const step: StepDef<ToyInput, Json, ToyScript> = {
          id,
          async run(ctx) {
            script.calls.push(`run:${id}#${ctx.attempt}`);
            const f = script.run?.[id];
            return f ? f(ctx) : { step: id };
          },
        };
        if (!i.compensable || i.compensable.includes(id)) {
          step.compensate = async (ctx, result) => {
            script.calls.push(`compensate:${id}`);
            const f = script.compensate?.[id];
            return f ? f(ctx, result) : { undone: id, had: result };
          };
        }
        if (i.observable?.includes(id)) {
          step.observe = async (ctx) => {
            script.calls.push(`observe:${id}`);
            const f = script.observe?.[id];
            return f ? f(ctx) : { step: id, observed: true };
          };
        }
        const r = i.retry?.[id];
        if (r) step.retry = r;
        if (i.gates?.includes(id)) step.gate = 'drift';
        const t = i.timeouts?.[id];
        if (t) step.timeoutMs = t;
        return step;
      });
    },
    decisionTimeoutMs: (run) => run.input.decisionTimeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS,
    async checkDrift() {
      return script.drift ? script.drift() : null;
    },
  });
}
