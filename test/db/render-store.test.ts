// run_renders (issue #14 item 5): which cards the bot renders again on start. The engine and the real migrations
// write the runs; the store answers from the real tables.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { renderStore } from '../../src/db/render-store.js';
import { createEngine } from '../../src/workflows/engine/engine.js';
import { silentLogger, systemClock } from '../../src/workflows/engine/ports.js';
import { tempDir } from '../support/temp-dirs.js';
import { sideEffectWorkflow } from '../workflows/engine/side-effect-workflow.js';

describe('renderStore.stale', () => {
  it('lists a run whose card is behind it or whose final message is missing; not an untouched plan card, not a current card', async () => {
    const dir = tempDir('render-store-');
    const db = openDb(join(dir, 'bot.db'));
    migrateDb(db);
    const engine = createEngine({ db, clock: systemClock, logger: silentLogger, ownerId: 'p', notifier: { notify() {} }, workflows: { 'side-effect': sideEffectWorkflow(join(dir, 'fx')) } });
    const store = renderStore(db);
    try {
      const create = (cluster: string) => engine.createRun({ kind: 'side-effect', cluster, requester: 'U1', input: { steps: ['a'] }, plan: {}, planDigest: 'd', requiredApprovals: 1, expiresAt: Date.now() + 60_000 }).runId;
      const untouched = create('c1');
      const approved = create('c2');
      const noCard = create('c3');
      engine.attachMessage(untouched, 'C1', '1.1');
      engine.attachMessage(approved, 'C1', '1.2');
      // The plan card as posted is the bot's own message: not re-rendered.
      expect(store.stale()).toEqual([]);
      store.cardRendered(approved, store.versionOf(approved));
      expect(store.stale()).toEqual([]);
      expect(engine.reject(approved, 'U2', 'no').state).toBe('rejected');
      // Rejected after the last render: card behind, no final message yet.
      expect(store.stale()).toEqual([{ runId: approved, finalPosted: false }]);
      store.cardRendered(approved, store.versionOf(approved));
      expect(store.stale()).toEqual([{ runId: approved, finalPosted: false }]);
      store.finalPosted(approved);
      expect(store.stale()).toEqual([]);
      // An older version recorded late never moves the render back.
      store.cardRendered(approved, 1);
      expect(store.stale()).toEqual([]);
      expect(noCard).toBeTruthy();
    } finally {
      await engine.stop();
      closeDb(db);
    }
  });
});
