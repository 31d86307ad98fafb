// The kill -9 test's workflow: each step appends "run:<id>" to a side-effect file (fsync'd), so the
// file shows exactly how many times each step took effect. observe() reads the file; compensate()
// appends "undo:<id>" once (ensure semantics). Shared by the child process and the test.
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { defineWorkflow, type WorkflowDef } from '../../../src/workflows/engine/define.js';
import { StepError } from '../../../src/workflows/engine/errors.js';

export interface SideEffectInput { steps: string[]; failAt?: string }

export interface Hooks {
  /** Called inside a step's run before / after its side effect, and inside compensate after its undo. */
  point?(name: string): void;
}

export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function append(file: string, line: string): void {
  const fd = openSync(file, 'a');
  try { appendFileSync(fd, `${line}\n`); fsyncSync(fd); } finally { closeSync(fd); }
}

export function sideEffectWorkflow(file: string, hooks: Hooks = {}): WorkflowDef<SideEffectInput, unknown, null> {
  return defineWorkflow<SideEffectInput, unknown, null>({
    kind: 'side-effect',
    deps: () => null,
    steps: (run) => run.input.steps.map((id) => ({
      id,
      async run(ctx) {
        hooks.point?.(`mid-before:${id}`);
        if (ctx.input.failAt === id) throw new StepError('fatal', `step ${id} failed on purpose`);
        append(file, `run:${id}`);
        hooks.point?.(`mid-after:${id}`);
        return { step: id };
      },
      async observe() {
        return lines(file).includes(`run:${id}`) ? { step: id, observed: true } : 'not-applied';
      },
      async compensate() {
        const l = lines(file);
        if (l.includes(`run:${id}`) && !l.includes(`undo:${id}`)) append(file, `undo:${id}`);
        hooks.point?.(`mid-compensate:${id}`);
        return { undone: id };
      },
    })),
  });
}
