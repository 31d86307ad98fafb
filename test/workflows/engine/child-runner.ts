// Child process for the kill -9 test: node --import tsx child-runner.ts <db> <side-effect-file> <crashAt>
// Runs (or resumes) one side-effect workflow run and, at the named point, prints
// "CRASHPOINT <json of committed audit (seq, hash)>" and blocks until the parent kills it.
import { openDb } from '../../../src/db/client.js';
import { migrateDb } from '../../../src/db/migrate.js';
import { createEngine } from '../../../src/workflows/engine/engine.js';
import { silentLogger, systemClock } from '../../../src/workflows/engine/ports.js';
import type { RunEvent } from '../../../src/workflows/kube-proxy-mode/api.js';
import { sideEffectWorkflow } from './side-effect-workflow.js';

const [dbPath, file, crashAt, failAt] = process.argv.slice(2) as [string, string, string, string | undefined];
const db = openDb(dbPath);
migrateDb(db);

function freeze(): never {
  const audit = db.$client.prepare('select seq, hash from audit_events order by seq').all();
  process.stdout.write(`CRASHPOINT ${JSON.stringify(audit)}\n`, () => undefined);
  // Block synchronously: nothing else in this process may run before the SIGKILL.
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0, 60_000);
}

const hooks = { point: (name: string) => { if (name === crashAt) freeze(); } };

const notifier = {
  notify(e: RunEvent) {
    if (e.type !== 'state') return;
    if (crashAt === 'approved' && e.status.state === 'approved') freeze();
    // boundary:<id>: right after the commit that recorded <id> as succeeded (before the next step starts).
    if (crashAt.startsWith('boundary:')) {
      const id = crashAt.slice('boundary:'.length);
      const row = db.$client.prepare("select status from step_results where run_id = ? and step_id = ? and node = ''").get(e.runId, id) as { status: string } | undefined;
      if (row?.status === 'succeeded' && e.status.currentStep === id) freeze();
    }
  },
};

const engine = createEngine({
  db, clock: systemClock, notifier, logger: silentLogger, ownerId: 'host-1',
  workflows: { 'side-effect': sideEffectWorkflow(file, hooks) },
});
await engine.start();
const run = engine.createRun({
  kind: 'side-effect', cluster: 'c1', requester: 'U1', input: { steps: ['a', 'b', 'c', 'd'], ...(failAt ? { failAt } : {}) },
  plan: {}, planDigest: 'd', requiredApprovals: 1, expiresAt: Date.now() + 3_600_000,
});
process.stdout.write(`RUN ${run.runId}\n`);
engine.approve(run.runId, 'U2', 'd');
await engine.idle();
process.stdout.write(`DONE ${engine.getRun(run.runId)!.state}\n`);
await engine.stop();
