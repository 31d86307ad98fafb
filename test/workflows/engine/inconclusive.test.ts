// Contract A (issue #12 item 3): a step that throws StepError('inconclusive') pauses the run for an operator, with a
// durable decision deadline after which the engine itself rolls back.
import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/workflows/engine/errors.js';
import { harness, type Harness } from './harness.js';
import { auditRows } from './test-db.js';

let h: Harness;
afterEach(async () => { await h.close(); });

const checks = [{ name: 'dns', outcome: 'inconclusive', detail: 'kube-dns has no endpoints', node: 'n1' }];
const inconclusiveB = (): void => {
  h.script.run = {
    b: async () => { throw new StepError('inconclusive', 'DNS check inconclusive: kube-dns has no endpoints', { detail: { checks, result: { verified: 1 } } }); },
    c: async (ctx) => ({ sawB: ctx.results('b') ?? 'missing' }),
  };
};

describe('inconclusive steps (engine)', () => {
  it('pause the run in waiting_operator with the checks, the deadline and both audit events; nothing after runs', async () => {
    h = await harness();
    inconclusiveB();
    const id = await h.startRun({ steps: ['a', 'b', 'c'] });
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('waiting_operator');
    expect(st.waiting).toEqual({ for: 'inconclusive', step: 'b', decideBy: new Date(h.clock.now() + 30 * 60_000).toISOString(), checks });
    expect(st.reason).toMatch(/^DNS check inconclusive: kube-dns has no endpoints; choose Continue/);
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1']);
    const rows = auditRows(h.db, id);
    expect(rows.find((e) => e.type === 'step.inconclusive')!.payload).toMatchObject({ step: 'b', checks });
    expect(rows.find((e) => e.type === 'run.waiting_operator')!.payload).toMatchObject({ step: 'b', waitingFor: 'inconclusive', timeoutMs: 1_800_000 });
    expect(h.engine.lock('c1')?.runId).toBe(id);
  });

  it('Continue accepts the step with detail.result (not re-run) and the run goes on to success', async () => {
    h = await harness();
    inconclusiveB();
    const id = await h.startRun({ steps: ['a', 'b', 'c'] });
    const after = h.engine.decide(id, 'U5', 'continue', 'DNS is down cluster-wide, not us');
    expect(after.waiting).toBeUndefined();
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'run:c#1']);
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('succeeded');
    expect(st.reason).toBeUndefined();
    const rows = auditRows(h.db, id);
    expect(rows.find((e) => e.type === 'operator.decision')).toMatchObject({
      actor: 'U5', payload: { decision: 'continue', note: 'DNS is down cluster-wide, not us', waitingFor: 'inconclusive' } });
    expect(rows.find((e) => e.type === 'step.succeeded' && e.payload['step'] === 'b')!.payload).toMatchObject({ result: { verified: 1 }, acceptedBy: 'U5' });
    expect(rows.find((e) => e.type === 'step.succeeded' && e.payload['step'] === 'c')!.payload['result']).toEqual({ sawB: { verified: 1 } });
    // Accepted, the deadline is gone: the clock passing it changes nothing.
    await h.clock.advance(31 * 60_000);
    expect(auditRows(h.db, id).filter((e) => e.type === 'operator.decision')).toHaveLength(1);
  });

  it('Roll back compensates the inconclusive step and the ones before, with who decided in the reason', async () => {
    h = await harness();
    inconclusiveB();
    const id = await h.startRun({ steps: ['a', 'b', 'c'] });
    h.engine.decide(id, 'U5', 'rollback');
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'compensate:b', 'compensate:a']);
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('rolled_back');
    expect(st.reason).toBe('DNS check inconclusive: kube-dns has no endpoints; rolled back by <@U5>');
    expect(h.engine.lock('c1')).toBeUndefined();
  });

  it('Cancel on a paused run rolls back at once, not at the decision deadline it held', async () => {
    h = await harness();
    inconclusiveB();
    const id = await h.startRun({ steps: ['a', 'b', 'c'] });
    h.engine.cancel(id, 'U5');
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'compensate:b', 'compensate:a']);
    expect(h.engine.getRun(id)!.state).toBe('cancelled');
  });

  it('Abort fails the run and undoes nothing', async () => {
    h = await harness();
    inconclusiveB();
    const id = await h.startRun({ steps: ['a', 'b', 'c'] });
    h.engine.decide(id, 'U5', 'abort', 'looking by hand');
    await h.engine.idle();
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('failed');
    expect(st.reason).toBe('aborted by <@U5>: looking by hand (DNS check inconclusive: kube-dns has no endpoints)');
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1']);
  });

  it('with no decision by the deadline the engine rolls back itself, as ipvs-bot, audited with timeout: true', async () => {
    h = await harness();
    inconclusiveB();
    const id = await h.startRun({ steps: ['a', 'b', 'c'], decisionTimeoutMs: 5 * 60_000 });
    expect(h.engine.getRun(id)!.waiting?.decideBy).toBe(new Date(h.clock.now() + 5 * 60_000).toISOString());
    await h.clock.advance(5 * 60_000 - 1);
    expect(h.engine.getRun(id)!.state).toBe('waiting_operator');
    await h.clock.advance(1);
    await h.engine.idle();
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('rolled_back');
    expect(st.reason).toBe('DNS check inconclusive: kube-dns has no endpoints; no decision by the deadline, so ipvs-bot rolled back');
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'compensate:b', 'compensate:a']);
    expect(auditRows(h.db, id).find((e) => e.type === 'operator.decision')).toMatchObject({
      actor: 'ipvs-bot', payload: { decision: 'rollback', timeout: true, waitingFor: 'inconclusive' } });
    expect(() => h.engine.decide(id, 'U5', 'continue')).toThrow(/not waiting for a decision/);
  });

  it('the deadline is durable: a new process after a restart still rolls back when it passes', async () => {
    h = await harness();
    inconclusiveB();
    const id = await h.startRun({ steps: ['a', 'b'], decisionTimeoutMs: 60_000 });
    await h.engine.stop();
    await h.clock.advance(2 * 60_000); // the deadline passes while no process runs
    const next = h.newEngine('test-owner');
    await next.start();
    await next.idle();
    expect(next.getRun(id)!.state).toBe('rolled_back');
    expect(auditRows(h.db, id).find((e) => e.type === 'operator.decision')).toMatchObject({ actor: 'ipvs-bot', payload: { timeout: true } });
  });

  it('an unknown outcome has no deadline: the run waits for an operator however long it takes', async () => {
    h = await harness();
    h.script.run = { b: async () => { throw new StepError('unknown-outcome', 'no answer'); } };
    const id = await h.startRun({ steps: ['a', 'b'] });
    expect(h.engine.getRun(id)!.waiting).toEqual({ for: 'unknown-outcome', step: 'b' });
    await h.clock.advance(24 * 3_600_000);
    expect(h.engine.getRun(id)!.state).toBe('waiting_operator');
  });
});
