import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { closeDb, openDb } from '../../src/db/client.js';
import { tempDbPath } from './fixtures/audit-db.js';

/** Starts the appender, kills it with SIGKILL once it has printed `after` committed seqs; returns them all. */
function runAndKill(path: string, after: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/audit/fixtures/append-loop.ts', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.split('\n').length - 1 >= after && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`appender exited on its own: ${stderr}`));
      // Only complete lines: a line cut by the kill was never fully reported.
      resolve(text.split('\n').slice(0, -1).map(Number));
    });
  });
}

describe('audit store under kill -9', () => {
  it('loses no committed event and leaves the chain valid, across repeated kills of an appending process', async () => {
    const path = tempDbPath('audit-kill-');
    let printed: number[] = [];
    for (const after of [150, 400, 250]) {
      printed = printed.concat(await runAndKill(path, after));
      const db = openDb(path); // a new process's connection recovers the WAL as the bot would on start
      const seqs = new Set((db.$client.prepare('SELECT seq FROM audit_events').all() as { seq: number }[]).map((r) => r.seq));
      const missing = printed.filter((s) => !seqs.has(s));
      expect(missing).toEqual([]);
      const v = verifyChain(db);
      expect(v).toMatchObject({ ok: true, count: seqs.size });
      // State and audit moved together: one update per event, none torn apart by the kill.
      expect((db.$client.prepare('SELECT n FROM loop_state').get() as { n: number }).n).toBe(seqs.size);
      closeDb(db);
    }
    expect(printed.length).toBeGreaterThanOrEqual(800);
  }, 60_000);
});
