// Builds an engine on a fresh temp-file DB with a FakeClock, a RecordingNotifier and the toy workflow.
import type { Db } from '../../../src/db/client.js';
import { createEngine, type CreateRunRequest, type Engine } from '../../../src/workflows/engine/engine.js';
import { silentLogger } from '../../../src/workflows/engine/ports.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { RecordingNotifier } from '../../fakes/recording-notifier.js';
import { openTestDb, tempDbPath } from './test-db.js';
import { toyWorkflow, type ToyInput, type ToyScript } from './toy-workflow.js';

export interface Harness {
  db: Db; dbPath: string; clock: FakeClock; notifier: RecordingNotifier; script: ToyScript; engine: Engine;
  create(input: ToyInput, more?: Partial<CreateRunRequest>): string;
  /** Creates a run needing one approval and approves it as U2. */
  startRun(input: ToyInput, more?: Partial<CreateRunRequest>): Promise<string>;
  newEngine(ownerId?: string): Engine;
  close(): Promise<void>;
}

export async function harness(opts: { ownerId?: string; leaseMs?: number } = {}): Promise<Harness> {
  const tmp = tempDbPath();
  const db = openTestDb(tmp.path);
  const clock = new FakeClock();
  const notifier = new RecordingNotifier();
  const script: ToyScript = { calls: [] };
  const engines: Engine[] = [];
  const newEngine = (ownerId = opts.ownerId ?? 'test-owner'): Engine => {
    const e = createEngine({ db, clock, notifier, logger: silentLogger, workflows: { toy: toyWorkflow(script) }, ownerId, leaseMs: opts.leaseMs ?? 60_000 });
    engines.push(e);
    return e;
  };
  const engine = newEngine();
  await engine.start();
  const h: Harness = {
    db, dbPath: tmp.path, clock, notifier, script, engine, newEngine,
    create(input, more = {}) {
      return engine.createRun({
        kind: 'toy', cluster: 'c1', requester: 'U1', input: input as never, plan: { digest: 'd1' }, planDigest: 'd1',
        requiredApprovals: 1, expiresAt: clock.now() + 3_600_000, ...more,
      }).runId;
    },
    async startRun(input, more = {}) {
      const id = h.create(input, more);
      const r = engine.approve(id, 'U2', 'd1');
      if (!r.ok) throw new Error(`approve failed: ${r.code}`);
      await engine.idle();
      return id;
    },
    async close() {
      for (const e of engines) await e.stop();
      db.$client.close();
      tmp.cleanup();
    },
  };
  return h;
}
