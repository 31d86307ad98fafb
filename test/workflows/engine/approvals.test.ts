import { afterEach, describe, expect, it } from 'vitest';
import { WorkflowError } from '../../../src/workflows/kube-proxy-mode/api.js';
import { harness, type Harness } from './harness.js';
import { auditRows } from './test-db.js';

let h: Harness;
afterEach(async () => { await h.close(); });

describe('src/workflows/engine approvals and cluster lock', () => {
  it('refuses self-approval, a wrong digest and duplicates without changing state', async () => {
    h = await harness();
    const id = h.create({ steps: ['a'] }, { requiredApprovals: 2 });
    expect(h.engine.approve(id, 'U1', 'd1')).toMatchObject({ ok: false, code: 'self_approval' });
    expect(h.engine.approve(id, 'U2', 'stale-digest')).toMatchObject({ ok: false, code: 'digest_mismatch' });
    const first = h.engine.approve(id, 'U2', 'd1');
    expect(first).toMatchObject({ ok: true, started: false });
    expect(h.engine.approve(id, 'U2', 'd1')).toMatchObject({ ok: false, code: 'already_approved' });
    expect(h.engine.approve('nope', 'U2', 'd1')).toMatchObject({ ok: false, code: 'not_found' });
    const st = h.engine.getRun(id)!;
    expect(st.state).toBe('awaiting_approval');
    expect(st.approvals.map((a) => a.user)).toEqual(['U2']);
    expect(h.script.calls).toEqual([]);
  });

  it('starts the run once a quorum of 2 distinct approvers is met', async () => {
    h = await harness();
    const id = h.create({ steps: ['a', 'b'] }, { requiredApprovals: 2 });
    expect(h.engine.approve(id, 'U2', 'd1')).toMatchObject({ ok: true, started: false });
    expect(h.engine.approve(id, 'U3', 'd1')).toMatchObject({ ok: true, started: true });
    await h.engine.idle();
    expect(h.engine.getRun(id)!.state).toBe('succeeded');
    expect(h.script.calls).toEqual(['run:a#1', 'run:b#1']);
    expect(h.notifier.states(id)).toEqual(['awaiting_approval', 'approved', 'running', 'succeeded']);
    const approvals = auditRows(h.db, id).filter((e) => e.type === 'approval.recorded');
    expect(approvals.map((e) => [e.actor, e.payload['digest']])).toEqual([['U2', 'd1'], ['U3', 'd1']]);
    // A finished run no longer takes approvals.
    expect(h.engine.approve(id, 'U4', 'd1')).toMatchObject({ ok: false, code: 'not_awaiting' });
  });

  it('expires an awaiting run when its window passes (runner timer) and releases the lock', async () => {
    h = await harness();
    const id = h.create({ steps: ['a'] }, { expiresAt: h.clock.now() + 60_000 });
    expect(h.engine.lock('c1')?.runId).toBe(id);
    await h.clock.advance(59_999);
    expect(h.engine.getRun(id)!.state).toBe('awaiting_approval');
    await h.clock.advance(1);
    expect(h.engine.getRun(id)!.state).toBe('expired');
    expect(h.engine.lock('c1')).toBeUndefined();
    expect(h.engine.approve(id, 'U2', 'd1')).toMatchObject({ ok: false, code: 'expired' });
    expect(h.notifier.states(id)).toEqual(['awaiting_approval', 'expired']);
  });

  it('refuses an approval that arrives after the window even before the timer fired', async () => {
    h = await harness();
    await h.engine.stop(); // no loop: only approve() sees the time
    const id = h.create({ steps: ['a'] }, { expiresAt: h.clock.now() + 1_000 });
    await h.clock.advance(1_000);
    expect(h.engine.approve(id, 'U2', 'd1')).toMatchObject({ ok: false, code: 'expired' });
    expect(h.engine.getRun(id)!.state).toBe('expired');
  });

  it('refuses a second run on a locked cluster, naming the holder run, until the first ends', async () => {
    h = await harness();
    const first = h.create({ steps: ['a'] });
    let err: unknown;
    try { h.create({ steps: ['a'] }, { requester: 'U9' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(WorkflowError);
    expect((err as WorkflowError).code).toBe('locked');
    expect((err as WorkflowError).message).toContain(first);
    // Another cluster is independent.
    expect(() => h.create({ steps: ['a'] }, { cluster: 'c2' })).not.toThrow();
    h.engine.reject(first, 'U2', 'not today');
    expect(h.engine.getRun(first)).toMatchObject({ state: 'rejected', reason: 'rejected by <@U2>: not today' });
    expect(h.engine.lock('c1')).toBeUndefined();
    const second = h.create({ steps: ['a'] }, { requester: 'U9' });
    expect(h.engine.lock('c1')).toMatchObject({ runId: second, holder: 'U9' });
  });

  it('takes over the lock of an awaiting run whose window has passed', async () => {
    h = await harness();
    await h.engine.stop();
    const first = h.create({ steps: ['a'] }, { expiresAt: h.clock.now() + 1_000 });
    await h.clock.advance(2_000);
    const second = h.create({ steps: ['a'] });
    expect(h.engine.getRun(first)!.state).toBe('expired');
    expect(h.engine.lock('c1')?.runId).toBe(second);
  });

  it('cancels an awaiting run and rejects verbs that do not fit the state', async () => {
    h = await harness();
    const id = h.create({ steps: ['a'] });
    expect(h.engine.cancel(id, 'U1').state).toBe('cancelled');
    expect(() => h.engine.cancel(id, 'U1')).toThrow(/already ended/);
    expect(() => h.engine.reject(id, 'U2', 'x')).toThrow(WorkflowError);
    expect(() => h.engine.decide(id, 'U2', 'continue')).toThrow(/not waiting for a decision/);
    expect(h.engine.lock('c1')).toBeUndefined();
    expect(h.script.calls).toEqual([]);
  });
});
