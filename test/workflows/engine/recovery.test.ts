// Crash recovery in-process: engine A is abandoned (never stopped) while a step is in flight, leaving
// the run 'running' with that step 'started' and A's lease on it; engine B opens the same DB file.
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/client.js';
import { createEngine, type Engine } from '../../../src/workflows/engine/engine.js';
import { silentLogger } from '../../../src/workflows/engine/ports.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { RecordingNotifier } from '../../fakes/recording-notifier.js';
import { auditRows, openTestDb, tempDbPath } from './test-db.js';
import { toyWorkflow, type ToyInput, type ToyScript } from './toy-workflow.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function engineOn(db: Db, clock: FakeClock, ownerId: string, script: ToyScript, notifier = new RecordingNotifier()): Engine {
  return createEngine({ db, clock, notifier, logger: silentLogger, workflows: { toy: toyWorkflow(script) }, ownerId, leaseMs: 30_000 });
}

/** Runs `input` on engine A until step `hangAt` is in flight, then abandons A (a crash as far as the DB can tell). */
async function crashDuring(input: ToyInput, hangAt: string) {
  const tmp = tempDbPath();
  const db = openTestDb(tmp.path);
  cleanups.push(() => { db.$client.close(); tmp.cleanup(); });
  const clockA = new FakeClock();
  const scriptA: ToyScript = { calls: [], run: { [hangAt]: () => new Promise(() => {}) } };
  const a = engineOn(db, clockA, 'host-1', scriptA);
  await a.start();
  const id = a.createRun({ kind: 'toy', cluster: 'c1', requester: 'U1', input: input as never, plan: {}, planDigest: 'd', requiredApprovals: 1, expiresAt: clockA.now() + 3_600_000 }).runId;
  a.approve(id, 'U2', 'd');
  await clockA.advance(0);
  const step = db.$client.prepare("select status from step_results where run_id = ? and step_id = ? and node = ''").get(id, hangAt) as { status: string };
  expect(step.status).toBe('started');
  const clockB = new FakeClock(clockA.now());
  const scriptB: ToyScript = { calls: [] };
  const notifier = new RecordingNotifier();
  const open = async (ownerId = 'host-1') => {
    const b = engineOn(db, clockB, ownerId, scriptB, notifier);
    cleanups.push(() => b.stop());
    await b.start();
    await b.idle();
    return b;
  };
  return { db, id, scriptA, scriptB, clockB, notifier, open };
}

describe('src/workflows/engine/recovery', () => {
  it('re-observes a started step and continues without running it again', async () => {
    const c = await crashDuring({ steps: ['a', 'b', 'c'], observable: ['b'] }, 'b');
    const b = await c.open();
    expect(c.scriptA.calls).toEqual(['run:a#1', 'run:b#1']);
    expect(c.scriptB.calls).toEqual(['observe:b', 'run:c#1']);
    expect(b.getRun(c.id)!.state).toBe('succeeded');
    const audit = auditRows(c.db, c.id);
    expect(audit.find((e) => e.type === 'run.recovered')!.payload).toMatchObject({ previousOwner: 'host-1', inDoubt: ['b'] });
    expect(audit.find((e) => e.type === 'step.observed')!.payload).toMatchObject({ step: 'b', result: { step: 'b', observed: true } });
  });

  it('runs a started step again only when observe proves it did not take effect', async () => {
    const c = await crashDuring({ steps: ['a', 'b'], observable: ['b'] }, 'b');
    c.scriptB.observe = { b: async () => 'not-applied' };
    const b = await c.open();
    expect(c.scriptB.calls).toEqual(['observe:b', 'run:b#2']);
    expect(b.getRun(c.id)!.state).toBe('succeeded');
    expect(auditRows(c.db, c.id).filter((e) => e.type === 'step.started').map((e) => e.payload)).toContainEqual({ step: 'b', attempt: 2, observed: 'not-applied' });
  });

  it('without observe the run waits for an operator; Continue runs the step again, audited', async () => {
    const c = await crashDuring({ steps: ['a', 'b', 'c'] }, 'b');
    const b = await c.open();
    const st = b.getRun(c.id)!;
    expect(st.state).toBe('waiting_operator');
    expect(st.reason).toMatch(/outcome of step b is unknown/);
    expect(c.notifier.states(c.id)).toEqual(['waiting_operator']);
    expect(c.scriptB.calls).toEqual([]);
    b.decide(c.id, 'U7', 'continue');
    await b.idle();
    expect(c.scriptB.calls).toEqual(['run:b#2', 'run:c#1']);
    expect(b.getRun(c.id)!.state).toBe('succeeded');
    expect(auditRows(c.db, c.id).find((e) => e.type === 'operator.decision')).toMatchObject({ actor: 'U7', payload: { decision: 'continue', waitingFor: 'unknown-outcome' } });
  });

  it('observe answering unknown also waits; Roll back undoes the uncertain step and the ones before', async () => {
    const c = await crashDuring({ steps: ['a', 'b', 'c'], observable: ['b'] }, 'b');
    c.scriptB.observe = { b: async () => 'unknown' };
    const b = await c.open();
    expect(b.getRun(c.id)!.state).toBe('waiting_operator');
    b.decide(c.id, 'U7', 'rollback');
    await b.idle();
    expect(c.scriptB.calls).toEqual(['observe:b', 'compensate:b', 'compensate:a']);
    expect(b.getRun(c.id)!.state).toBe('rolled_back');
    expect(b.lock('c1')).toBeUndefined();
  });

  it('Abort leaves the cluster as it is: failed with the reason, lock released, nothing undone', async () => {
    const c = await crashDuring({ steps: ['a', 'b'] }, 'b');
    const b = await c.open();
    b.decide(c.id, 'U7', 'abort', 'will fix by hand');
    await b.idle();
    const st = b.getRun(c.id)!;
    expect(st.state).toBe('failed');
    expect(st.reason).toMatch(/aborted by <@U7>: will fix by hand/);
    expect(c.scriptB.calls).toEqual([]);
    expect(b.lock('c1')).toBeUndefined();
  });

  it('another process waits for the dead owner\'s lease to lapse before taking the run', async () => {
    const c = await crashDuring({ steps: ['a', 'b'], observable: ['b'] }, 'b');
    const b = await c.open('host-2');
    expect(c.scriptB.calls).toEqual([]);
    expect(b.getRun(c.id)!.state).toBe('running');
    await c.clockB.advance(29_999);
    expect(c.scriptB.calls).toEqual([]);
    await c.clockB.advance(1);
    await b.idle();
    expect(c.scriptB.calls).toEqual(['observe:b']);
    expect(b.getRun(c.id)!.state).toBe('succeeded');
  });

  it('a clean stop lets the current step record and releases the lease; a restart resumes', async () => {
    const tmp = tempDbPath();
    const db = openTestDb(tmp.path);
    cleanups.push(() => { db.$client.close(); tmp.cleanup(); });
    const clock = new FakeClock();
    let release!: () => void;
    const script: ToyScript = { calls: [], run: { a: () => new Promise((r) => { release = () => r({ done: 'a' }); }) } };
    const a = engineOn(db, clock, 'host-1', script);
    await a.start();
    const id = a.createRun({ kind: 'toy', cluster: 'c1', requester: 'U1', input: { steps: ['a', 'b'] }, plan: {}, planDigest: 'd', requiredApprovals: 0, expiresAt: clock.now() + 1000 }).runId;
    await clock.advance(0);
    const stopped = a.stop();
    release();
    await stopped;
    const row = db.$client.prepare('select state, lease_owner as o from runs where id = ?').get(id) as { state: string; o: string | null };
    expect(row).toEqual({ state: 'running', o: null });
    expect(script.calls).toEqual(['run:a#1']);
    const b = engineOn(db, clock, 'host-2', script);
    cleanups.push(() => b.stop());
    await b.start();
    await b.idle();
    expect(script.calls).toEqual(['run:a#1', 'run:b#1']);
    expect(b.getRun(id)!.state).toBe('succeeded');
  });

  it('stop() during a durable sleep leaves the step started; the next process waits out wake_at, then observes', async () => {
    const tmp = tempDbPath();
    const db = openTestDb(tmp.path);
    cleanups.push(() => { db.$client.close(); tmp.cleanup(); });
    const clock = new FakeClock();
    const script: ToyScript = { calls: [], run: { settle: async (ctx) => { await ctx.sleep(10_000); return { slept: true }; } } };
    const a = engineOn(db, clock, 'host-1', script);
    await a.start();
    const id = a.createRun({ kind: 'toy', cluster: 'c1', requester: 'U1', input: { steps: ['settle', 'b'], observable: ['settle'] }, plan: {}, planDigest: 'd', requiredApprovals: 0, expiresAt: clock.now() + 1000 }).runId;
    await clock.advance(4_000);
    await a.stop();
    const step = db.$client.prepare("select status from step_results where run_id = ? and step_id = 'settle'").get(id) as { status: string };
    expect(step.status).toBe('started');
    const b = engineOn(db, clock, 'host-1', script);
    cleanups.push(() => b.stop());
    await b.start();
    await b.idle();
    expect(script.calls).toEqual(['run:settle#1']);
    await clock.advance(5_999);
    expect(script.calls).toEqual(['run:settle#1']);
    await clock.advance(1);
    await b.idle();
    expect(script.calls).toEqual(['run:settle#1', 'observe:settle', 'run:b#1']);
    expect(b.getRun(id)!.state).toBe('succeeded');
  });

  it('when building deps fails the run is retried after a backoff, not in a loop', async () => {
    const tmp = tempDbPath();
    const db = openTestDb(tmp.path);
    cleanups.push(() => { db.$client.close(); tmp.cleanup(); });
    const clock = new FakeClock();
    const script: ToyScript = { calls: [] };
    let depsCalls = 0;
    const wf = { ...toyWorkflow(script), deps: () => { if (++depsCalls < 3) throw new Error('cluster unreachable'); return script; } };
    const e = createEngine({ db, clock, notifier: new RecordingNotifier(), logger: silentLogger, workflows: { toy: wf }, ownerId: 'h', errorBackoffMs: 30_000 });
    cleanups.push(() => e.stop());
    await e.start();
    const id = e.createRun({ kind: 'toy', cluster: 'c1', requester: 'U1', input: { steps: ['a'] }, plan: {}, planDigest: 'd', requiredApprovals: 0, expiresAt: clock.now() + 1000 }).runId;
    await e.idle();
    expect(depsCalls).toBe(1);
    expect(e.getRun(id)!.state).toBe('approved');
    await clock.advance(30_000);
    await e.idle();
    expect(depsCalls).toBe(2);
    await clock.advance(30_000);
    await e.idle();
    expect(depsCalls).toBe(3);
    expect(e.getRun(id)!.state).toBe('succeeded');
    expect(script.calls).toEqual(['run:a#1']);
  });
});
