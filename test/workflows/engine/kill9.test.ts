// A real kill -9: a child process drives a run whose steps append to a side-effect file; it is
// SIGKILLed at each step boundary, in the middle of steps and in the middle of a rollback. A new
// engine on the same DB file then finishes (or rolls back) the run: no step applied twice, no
// committed audit event lost.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/workflows/engine/engine.js';
import { silentLogger } from '../../../src/workflows/engine/ports.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { RecordingNotifier } from '../../fakes/recording-notifier.js';
import { auditRows, firstBrokenLink, openTestDb, tempDbPath } from './test-db.js';
import { lines, sideEffectWorkflow } from './side-effect-workflow.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../../..');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

interface Crash { runId: string; committed: { seq: number; hash: string }[]; exitSignal: string | null }

/** Starts the child, waits for its crash point, SIGKILLs it. */
function runChildUntilKilled(dbPath: string, file: string, crashAt: string, failAt?: string): Promise<Crash> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'child-runner.ts'), dbPath, file, crashAt, ...(failAt ? [failAt] : [])],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let runId = '';
    let committed: Crash['committed'] | undefined;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('RUN ')) runId = line.slice(4);
      if (line.startsWith('CRASHPOINT ')) {
        committed = JSON.parse(line.slice('CRASHPOINT '.length)) as Crash['committed'];
        child.kill('SIGKILL');
      }
      if (line.startsWith('DONE ')) reject(new Error(`child finished without reaching ${crashAt}: ${line}`));
    });
    child.on('exit', (_code, signal) => {
      if (committed) resolve({ runId, committed, exitSignal: signal });
      else reject(new Error(`child exited before ${crashAt}: ${stderr}`));
    });
  });
}

async function crashAndRecover(crashAt: string, failAt?: string) {
  const tmp = tempDbPath();
  cleanups.push(() => tmp.cleanup());
  const file = join(tmp.dir, 'side-effects.log');
  const db0 = openTestDb(tmp.path); // migrate once up front, as the bot does at start
  db0.$client.close();
  const crash = await runChildUntilKilled(tmp.path, file, crashAt, failAt);
  expect(crash.exitSignal).toBe('SIGKILL');
  const before = lines(file);
  const db = openTestDb(tmp.path);
  const engine = createEngine({
    db, clock: new FakeClock(Date.now()), notifier: new RecordingNotifier(), logger: silentLogger,
    ownerId: 'host-1', workflows: { 'side-effect': sideEffectWorkflow(file) },
  });
  cleanups.push(async () => { await engine.stop(); db.$client.close(); });
  await engine.start();
  await engine.idle();
  return { db, engine, crash, before, after: lines(file) };
}

function expectNoAuditLost(db: Parameters<typeof auditRows>[0], committed: Crash['committed']) {
  const now = new Map(auditRows(db).map((r) => [r.seq, r.hash]));
  for (const c of committed) expect(now.get(c.seq), `audit seq ${c.seq}`).toBe(c.hash);
  const seqs = auditRows(db).map((r) => r.seq);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // no gaps
  expect(firstBrokenLink(db)).toBeNull();
}

const forwardPoints = [
  'approved',
  'mid-before:a', 'mid-after:a', 'boundary:a',
  'mid-before:b', 'mid-after:b', 'boundary:b',
  'mid-after:c', 'boundary:c',
  'mid-after:d', 'boundary:d',
];

describe('src/workflows/engine kill -9 recovery', () => {
  it.each(forwardPoints)('killed at %s: a new process finishes the run, each step applied once', async (point) => {
    const { db, engine, crash, after } = await crashAndRecover(point);
    expect(engine.getRun(crash.runId)!.state).toBe('succeeded');
    expect(after).toEqual(['run:a', 'run:b', 'run:c', 'run:d']);
    expectNoAuditLost(db, crash.committed);
    expect(auditRows(db, crash.runId).filter((e) => e.type === 'run.succeeded')).toHaveLength(1);
  });

  it.each(['mid-compensate:b', 'mid-compensate:a'])('killed at %s during a rollback: the new process completes the rollback once', async (point) => {
    const { db, engine, crash, after } = await crashAndRecover(point, 'c');
    const st = engine.getRun(crash.runId)!;
    expect(st.state).toBe('rolled_back');
    expect(st.reason).toBe('step c failed: step c failed on purpose');
    expect(after).toEqual(['run:a', 'run:b', 'undo:b', 'undo:a']);
    expectNoAuditLost(db, crash.committed);
    expect(auditRows(db, crash.runId).filter((e) => e.type === 'step.compensating' && e.payload['resumedAfterCrash'] === true)).toHaveLength(1);
  });
});
