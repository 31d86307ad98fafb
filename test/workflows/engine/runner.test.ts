import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/workflows/engine/errors.js';
import { harness, type Harness } from './harness.js';
import { auditRows } from './test-db.js';

let h: Harness;
afterEach(async () => { await h.close(); });

const types = (rows: { type: string }[]) => rows.map((r) => r.type);

describe('src/workflows/engine/runner', () => {
  it('runs steps in order, recording started/succeeded with the run state and audit in order', async () => {
    h = await harness();
    h.script.run = { b: async (ctx) => ({ sawA: ctx.results('a') ?? 'missing' }) };
    const id = await h.startRun({ steps: ['a', 'b', 'c'] });
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'run:c#1']);
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('succeeded');
    expect(st.currentStep).toBeUndefined();
    const steps = types(auditRows(h.db, id)).filter((t) => t.startsWith('step.') || t.startsWith('run.'));
    expect(steps).toEqual(['run.created', 'run.approved', 'run.started',
      'step.started', 'step.succeeded', 'step.started', 'step.succeeded', 'step.started', 'step.succeeded', 'run.succeeded']);
    const bDone = auditRows(h.db, id).find((e) => e.type === 'step.succeeded' && e.payload['step'] === 'b')!;
    expect(bDone.payload['result']).toEqual({ sawA: { step: 'a' } });
    expect(h.engine.lock('c1')).toBeUndefined();
  });

  it('retries only retryable errors, with exponential backoff on the injected clock', async () => {
    h = await harness();
    let n = 0;
    h.script.run = { b: async () => { n++; if (n < 3) throw new StepError('retryable', `503 #${n}`); return { ok: true }; } };
    const id = await h.startRun({ steps: ['a', 'b'], retry: { b: { max: 3, baseMs: 1_000 } } });
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1']);
    expect(h.engine.getRun(id)!.state).toBe('running');
    await h.clock.advance(999);
    expect(h.script.calls).toHaveLength(2);
    await h.clock.advance(1);
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'run:b#2']);
    await h.clock.advance(1_999); // second backoff is 2 s
    expect(h.script.calls).toHaveLength(3);
    await h.clock.advance(1);
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'run:b#2', 'run:b#3']);
    expect(h.engine.getRun(id)!.state).toBe('succeeded');
    const retries = auditRows(h.db, id).filter((e) => e.type === 'step.retry_scheduled').map((e) => e.payload['delayMs']);
    expect(retries).toEqual([1_000, 2_000]);
  });

  it('does not retry a fatal error, and compensates completed steps plus the failed one in reverse', async () => {
    h = await harness();
    h.script.run = { c: async () => { throw new StepError('fatal', 'node 7 did not come up'); } };
    const id = await h.startRun({ steps: ['a', 'b', 'c', 'd'], retry: { c: { max: 5, baseMs: 10 } } });
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'run:c#1', 'compensate:c', 'compensate:b', 'compensate:a']);
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('rolled_back');
    expect(st.reason).toBe('step c failed: node 7 did not come up');
    expect(h.notifier.states(id)).toEqual(['awaiting_approval', 'approved', 'running', 'rolling_back', 'rolled_back']);
    const comp = auditRows(h.db, id).filter((e) => e.type === 'step.compensated').map((e) => e.payload['step']);
    expect(comp).toEqual(['c', 'b', 'a']);
    expect(h.engine.lock('c1')).toBeUndefined();
  });

  it('passes each step its own result when compensating, and null for the step that failed', async () => {
    h = await harness();
    const seen: Record<string, unknown> = {};
    h.script.run = { a: async () => ({ rv: '17' }), b: async () => { throw new Error('boom'); } };
    h.script.compensate = {
      a: async (_c, r) => { seen['a'] = r; return {}; },
      b: async (_c, r) => { seen['b'] = r; return {}; },
    };
    await h.startRun({ steps: ['a', 'b'] });
    expect(seen).toEqual({ a: { rv: '17' }, b: null });
  });

  it('with auto-rollback off a failure leaves the run failed with the reason, nothing undone', async () => {
    h = await harness();
    h.script.run = { b: async () => { throw new StepError('fatal', 'verify failed'); } };
    const id = await h.startRun({ steps: ['a', 'b'], autoRollback: false });
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1']);
    expect(h.engine.getRun(id)).toMatchObject({ state: 'failed' });
    expect(h.engine.getRun(id)!.reason).toMatch(/step b failed: verify failed \(auto-rollback is off/);
  });

  it('a failed compensation is never swallowed: waiting_operator, then Continue retries it', async () => {
    h = await harness();
    let tries = 0;
    h.script.run = { c: async () => { throw new StepError('fatal', 'bad'); } };
    h.script.compensate = { b: async () => { if (++tries === 1) throw new Error('configmap restore refused'); return { restored: true }; } };
    const id = await h.startRun({ steps: ['a', 'b', 'c'] });
    let st = h.engine.getRun(id)!;
    expect(st.state).toBe('waiting_operator');
    expect(st.reason).toMatch(/rolling back step b failed: configmap restore refused/);
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'run:c#1', 'compensate:c', 'compensate:b']);
    expect(h.engine.lock('c1')?.runId).toBe(id); // still holds the cluster
    st = h.engine.decide(id, 'U5', 'continue', 'fixed RBAC');
    expect(st.state).toBe('rolling_back');
    await h.engine.idle();
    expect(h.script.calls.slice(5)).toEqual(['compensate:b', 'compensate:a']);
    expect(h.engine.getRun(id)!.state).toBe('rolled_back');
    const decision = auditRows(h.db, id).find((e) => e.type === 'operator.decision')!;
    expect(decision).toMatchObject({ actor: 'U5', payload: { decision: 'continue', note: 'fixed RBAC', waitingFor: 'compensation-failed' } });
  });

  it('voids the run and its approvals when the plan drifted before start', async () => {
    h = await harness();
    h.script.drift = () => 'ConfigMap resourceVersion 259 → 301';
    const id = await h.startRun({ steps: ['a'] });
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('voided');
    expect(st.reason).toContain('ConfigMap resourceVersion 259 → 301');
    expect(st.approvals).toEqual([]);
    expect(h.script.calls).toEqual([]);
    expect(h.engine.approve(id, 'U3', 'd1')).toMatchObject({ ok: false, code: 'drifted' });
    expect(h.engine.lock('c1')).toBeUndefined();
  });

  it('re-checks drift before a gated step and voids there', async () => {
    h = await harness();
    let drifted: string | null = null;
    h.script.drift = () => drifted;
    h.script.run = { a: async () => { drifted = 'ConfigMap edited'; return {}; } };
    const id = await h.startRun({ steps: ['a', 'switch', 'c'], gates: ['switch'] });
    expect(h.script.calls).toEqual(['run:a#1']);
    expect(h.engine.getRun(id)).toMatchObject({ state: 'voided' });
  });

  it('a step throwing drift voids the run', async () => {
    h = await harness();
    h.script.run = { b: async () => { throw new StepError('drift', 'resourceVersion changed'); } };
    const id = await h.startRun({ steps: ['a', 'b'] });
    expect(h.engine.getRun(id)!.state).toBe('voided');
    expect(h.engine.getRun(id)!.reason).toContain('resourceVersion changed');
  });

  it('cancel while running before any undoable step just stops at the next boundary', async () => {
    h = await harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    h.script.run = { a: async () => { await gate; return {}; } };
    const id = h.create({ steps: ['a', 'b'], compensable: ['b'] });
    h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(0);
    expect(h.engine.getRun(id)!.state).toBe('running');
    expect(h.engine.cancel(id, 'U3').state).toBe('running'); // acts at the boundary
    release();
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1']);
    expect(h.engine.getRun(id)).toMatchObject({ state: 'cancelled', reason: 'cancelled by <@U3>' });
  });

  it('cancel after an undoable step rolls it back, then ends cancelled', async () => {
    h = await harness();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    h.script.run = { b: async () => { await gate; return { switched: true }; } };
    const id = h.create({ steps: ['a', 'b', 'c'], compensable: ['b', 'c'] });
    h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(0);
    h.engine.cancel(id, 'U3');
    release();
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'compensate:b']);
    expect(h.engine.getRun(id)!.state).toBe('cancelled');
    expect(types(auditRows(h.db, id))).toContain('run.cancel_requested');
  });

  it('ctx.sleep is a durable wait: wake_at is stored and the clock moves the step on', async () => {
    h = await harness();
    h.script.run = { settle: async (ctx) => { await ctx.sleep(10_000); return { slept: true }; } };
    const id = h.create({ steps: ['settle', 'b'] });
    h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(0); // idle() would wait for the sleeping step
    const run = h.db.$client.prepare('select id, wake_at_ms as w from runs').get() as { id: string; w: number };
    expect(run.id).toBe(id);
    expect(run.w).toBe(h.clock.now() + 10_000);
    expect(h.script.calls).toEqual(['run:settle#1']);
    await h.clock.advance(9_999);
    expect(h.script.calls).toEqual(['run:settle#1']);
    await h.clock.advance(1);
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:settle#1', 'run:b#1']);
    expect(h.engine.getRun(run.id)!.state).toBe('succeeded');
  });

  it('saveNodeResult writes a node row, an audit event and a notifier event', async () => {
    h = await harness();
    h.script.run = {
      prep: async (ctx) => {
        ctx.saveNodeResult('k8s-worker-1', 'prep', true, { kernel: '5.15.0' });
        ctx.saveNodeResult('k8s-worker-2', 'prep', false, { errors: ['ip_vs_sh missing'] });
        return { nodes: Object.keys(ctx.nodeResults()).length };
      },
    };
    const id = await h.startRun({ steps: ['prep'] });
    const st = h.engine.getRun(id)!;
    expect(st.nodes).toEqual([
      { node: 'k8s-worker-1', phase: 'prep', ok: true },
      { node: 'k8s-worker-2', phase: 'prep', ok: false, detail: 'ip_vs_sh missing' },
    ]);
    expect(auditRows(h.db, id).filter((e) => e.type === 'node.prep').map((e) => [e.payload['node'], e.payload['ok']]))
      .toEqual([['k8s-worker-1', true], ['k8s-worker-2', false]]);
    expect(h.notifier.nodeEvents(id).map((e) => e.node)).toEqual(['k8s-worker-1', 'k8s-worker-2']);
    expect(auditRows(h.db, id).find((e) => e.type === 'step.succeeded')!.payload['result']).toEqual({ nodes: 2 });
  });

  it('keeps the first snapshot of a run and lets a later run read it', async () => {
    h = await harness();
    h.script.run = {
      snap: async (ctx) => {
        ctx.saveSnapshot({ configmapText: 'mode: ""', configmapResourceVersion: '259', dsUpdateStrategy: { type: 'RollingUpdate' } });
        const again = ctx.saveSnapshot({ configmapText: 'mode: ipvs', configmapResourceVersion: '300', dsUpdateStrategy: { type: 'OnDelete' } });
        return { rv: again.configmapResourceVersion };
      },
    };
    const id = await h.startRun({ steps: ['snap'] });
    expect(auditRows(h.db, id).find((e) => e.type === 'step.succeeded')!.payload['result']).toEqual({ rv: '259' });
    let fromChild: unknown;
    h.script.run = { read: async (ctx) => { fromChild = ctx.snapshot(ctx.parentRunId); return {}; } };
    await h.startRun({ steps: ['read'] }, { parentRunId: id });
    expect(fromChild).toEqual({ configmapText: 'mode: ""', configmapResourceVersion: '259', dsUpdateStrategy: { type: 'RollingUpdate' } });
  });

  it('a notifier that throws does not break the run', async () => {
    h = await harness();
    h.notifier.notify = () => { throw new Error('slack down'); };
    const id = await h.startRun({ steps: ['a'] });
    expect(h.engine.getRun(id)!.state).toBe('succeeded');
  });

  it('a step past its timeoutMs is aborted and re-observed; without an answer an operator decides', async () => {
    h = await harness();
    let aborted = false;
    h.script.run = { b: (ctx) => new Promise(() => { ctx.signal.addEventListener('abort', () => { aborted = true; }); }) };
    h.script.observe = { b: async () => 'unknown' };
    const id = h.create({ steps: ['a', 'b', 'c'], timeouts: { b: 5_000 }, observable: ['b'] });
    h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(4_999);
    expect(h.engine.getRun(id)!.state).toBe('running');
    await h.clock.advance(1);
    await h.engine.idle();
    expect(aborted).toBe(true);
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'observe:b']);
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('waiting_operator');
    expect(auditRows(h.db, id).find((e) => e.type === 'step.outcome_unknown')!.payload['error']).toMatch(/did not finish within 5000 ms/);
  });

  it('two engines on one DB never drive the same run: the lease keeps the second one out', async () => {
    h = await harness({ ownerId: 'host-a' });
    const other = h.newEngine('host-b');
    await other.start();
    let release!: () => void;
    h.script.run = { a: () => new Promise((r) => { release = () => r({}); }) };
    const id = h.create({ steps: ['a', 'b'] });
    h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(0);
    // host-b looks at the DB while host-a is inside step a (its createRun kicks its loop).
    other.createRun({ kind: 'toy', cluster: 'c2', requester: 'U1', input: { steps: [] }, plan: {}, planDigest: 'x', requiredApprovals: 0, expiresAt: h.clock.now() + 1_000 });
    await other.idle();
    await h.clock.advance(45_000); // lease renewals by host-a keep it held
    expect(h.script.calls).toEqual(['run:a#1']);
    release();
    await h.engine.idle();
    await other.idle();
    await h.clock.advance(120_000);
    await h.engine.idle();
    await other.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1']);
    expect(h.engine.getRun(id)!.state).toBe('succeeded');
  });

  it('drives runs on different clusters concurrently, up to the concurrency limit', async () => {
    h = await harness();
    const releases: (() => void)[] = [];
    h.script.run = { hold: () => new Promise((r) => { releases.push(() => r({})); }) };
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5'].map((cluster) => h.create({ steps: ['hold'] }, { cluster }));
    for (const id of ids) h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(0);
    expect(releases).toHaveLength(4); // default concurrency 4
    releases.shift()!();
    await h.clock.advance(0);
    expect(releases).toHaveLength(4); // the fifth started when one finished
    for (const r of releases.splice(0)) r();
    await h.engine.idle();
    expect(ids.map((id) => h.engine.getRun(id)!.state)).toEqual(Array(5).fill('succeeded'));
  });

  it('a step failing after a cancel was requested ends rolled_back with the failure as reason', async () => {
    h = await harness();
    let fail!: () => void;
    h.script.run = { b: () => new Promise((_, reject) => { fail = () => reject(new StepError('fatal', 'verify failed')); }) };
    const id = h.create({ steps: ['a', 'b'] });
    h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(0);
    h.engine.cancel(id, 'U3');
    fail();
    await h.engine.idle();
    expect(h.engine.getRun(id)).toMatchObject({ state: 'rolled_back', reason: 'step b failed: verify failed' });
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1', 'compensate:b', 'compensate:a']);
  });

  it('a compensation retry backoff after a cancel waits on the clock (no busy loop), then ends cancelled', async () => {
    h = await harness();
    let release!: () => void;
    let tries = 0;
    h.script.run = { a: () => new Promise((r) => { release = () => r({}); }) };
    h.script.compensate = { a: async () => { if (++tries === 1) throw new StepError('retryable', '503'); return {}; } };
    const id = h.create({ steps: ['a', 'b'], retry: { a: { max: 2, baseMs: 1_000 } } });
    h.engine.approve(id, 'U2', 'd1');
    await h.clock.advance(0);
    h.engine.cancel(id, 'U3');
    release();
    await h.engine.idle();
    expect(h.engine.getRun(id)!.state).toBe('rolling_back');
    expect(h.script.calls).toEqual(['run:a#1', 'compensate:a']);
    await h.clock.advance(1_000);
    await h.engine.idle();
    expect(h.script.calls).toEqual(['run:a#1', 'compensate:a', 'compensate:a']);
    expect(h.engine.getRun(id)!.state).toBe('cancelled');
  });

  it('leaves a run of an unregistered kind alone without spinning', async () => {
    h = await harness();
    const id = h.create({ steps: ['a'] }, { requiredApprovals: 0 });
    await h.engine.stop();
    const { createEngine } = await import('../../../src/workflows/engine/engine.js');
    const { silentLogger } = await import('../../../src/workflows/engine/ports.js');
    const other = createEngine({ db: h.db, clock: h.clock, notifier: h.notifier, logger: silentLogger, workflows: {}, ownerId: 'x' });
    await other.start();
    await other.idle();
    await h.clock.advance(60_000);
    await other.idle();
    expect(h.engine.getRun(id)!.state).toBe('approved');
    await other.stop();
  });
});
