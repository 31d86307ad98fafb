import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { exportAudit } from '../../src/audit/export-audit.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { closeDb, openDb } from '../../src/db/client.js';
import { recordAudit } from '../../src/db/audit-store.js';
import { seedFile } from './fixtures/audit-db.js';

/** A slow consumer (like an upload): forces the export to wait for 'drain' many times. */
function slowSink(chunks: string[]): Writable {
  return new Writable({ highWaterMark: 1024, write(chunk: Buffer, _enc, cb) { chunks.push(chunk.toString()); setTimeout(cb, 2); } });
}

describe('src/audit/export-audit on the bot\'s own connection', () => {
  it('lets the bot keep writing during a slow export, and exports one consistent snapshot', async () => {
    const path = seedFile(3000);
    const db = openDb(path); // the bot's read-write connection, passed as the audit port does
    const chunks: string[] = [];
    const sink = slowSink(chunks);
    const exporting = exportAudit(db, { format: 'jsonl' }, sink);
    let written = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(3);
      recordAudit(db, { actor: 'system', type: 'during-export', payload: { i } }); // would throw "connection is busy" on a shared iterator
      written++;
    }
    const r = await exporting;
    const lines = chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as { type: string; seq?: number; head?: string; count?: number });
    const manifest = lines.pop()!;
    expect(written).toBe(20);
    expect(r.count).toBe(lines.length);
    // The snapshot was taken when the export started: none of the events written meanwhile, and the head is that snapshot's.
    expect(lines.some((l) => l.type === 'during-export')).toBe(false);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
    expect(manifest).toMatchObject({ count: lines.length, head: r.head, chainOk: true });
    expect(lines.length).toBe(3000);
    expect(verifyChain(db)).toMatchObject({ ok: true, count: 3020 });
    closeDb(db);
  });
});
