// Issue #14 item 4 without root: the database turns read-only in the middle of a step (SQLite's query_only pragma on
// the engine's own connection: every write then fails with the real SQLITE_READONLY). The step in flight finishes and
// its outcome is retried until it reaches the disk; no further step starts while nothing can be recorded; the log and
// /healthz's check say "the database is read-only"; writes working again resume the run. The full-disk case with a
// real tmpfs is in test/host/db-disk-full.test.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { closeDb, openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { StorageHealth } from '../../src/db/storage-health.js';
import { storageWritable } from '../../src/health.js';
import { createEngine } from '../../src/workflows/engine/engine.js';
import { systemClock, type Logger } from '../../src/workflows/engine/ports.js';
import { tempDir } from '../support/temp-dirs.js';
import { lines, sideEffectWorkflow } from '../workflows/engine/side-effect-workflow.js';

function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const out: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: Record<string, unknown>, msg?: string) => { out.push({ level, msg: msg ?? '' }); };
  return { lines: out, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

async function until(what: string, f: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('engine on a database that turns read-only mid-step', () => {
  it('finishes the step, records its outcome once writes work again, starts nothing meanwhile, and says so in plain words', async () => {
    const dir = tempDir('storage-pause-');
    const db = openDb(join(dir, 'bot.db'));
    migrateDb(db);
    const file = join(dir, 'effects.txt');
    const logger = recordingLogger();
    const storage = new StorageHealth({ db: db.$client, clock: systemClock, logger, probeEveryMs: 50 });
    const healthz = storageWritable(db.$client, storage);
    let readOnly = false;
    const engine = createEngine({
      db, clock: systemClock, logger, ownerId: 'p1', storage, leaseMs: 90,
      notifier: { notify() {} },
      workflows: { 'side-effect': sideEffectWorkflow(file, { point: (p) => { if (p === 'mid-after:b') { db.$client.pragma('query_only = ON'); readOnly = true; } } }) },
    });
    try {
      await engine.start();
      const run = engine.createRun({ kind: 'side-effect', cluster: 'c1', requester: 'U1', input: { steps: ['a', 'b', 'c', 'd'] }, plan: {}, planDigest: 'd', requiredApprovals: 0, expiresAt: Date.now() + 60_000 });
      await until('the database to turn read-only', () => readOnly);
      await until('the engine to report it', () => !storage.ok());
      // Several lease-renewal periods pass with every write refused: no crash, no further step.
      await new Promise((r) => setTimeout(r, 500));
      expect(lines(file)).toEqual(['run:a', 'run:b']);
      expect(engine.getRun(run.runId)?.state).toBe('running');
      expect(logger.lines.some((l) => l.level === 'error' && l.msg.startsWith('the database is read-only'))).toBe(true);
      expect(await healthz()).toMatchObject({ ok: false, detail: expect.stringContaining('the database is read-only') });

      db.$client.pragma('query_only = OFF');
      await until('the run to finish', () => engine.getRun(run.runId)?.state === 'succeeded');
      expect(lines(file)).toEqual(['run:a', 'run:b', 'run:c', 'run:d']);
      const events = db.$client.prepare("SELECT payload FROM audit_events WHERE type = 'step.succeeded' ORDER BY seq").all() as { payload: string }[];
      expect(events.map((e) => (JSON.parse(e.payload) as { step: string }).step)).toEqual(['a', 'b', 'c', 'd']);
      expect(logger.lines.some((l) => l.msg.startsWith('the database can be written again'))).toBe(true);
      expect(await healthz()).toBe(true);
      expect(verifyChain(db).ok).toBe(true);
    } finally {
      await engine.stop();
      storage.close();
      closeDb(db);
    }
  });
});
