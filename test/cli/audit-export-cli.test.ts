import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../src/db/client.js';
import { recordAudit } from '../../src/db/audit-store.js';
import { seedFile, tempDbPath } from '../audit/fixtures/audit-db.js';

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { timeout: 30_000, env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A strict RFC 4180 reader: quoted fields with doubled quotes and embedded CR/LF, CRLF record ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        cell += text.slice(i, q);
        if (text[q + 1] === '"') { cell += '"'; i = q + 2; } else { i = q + 1; break; }
      }
    } else {
      const end = text.slice(i).search(/,|\r\n/);
      cell = end < 0 ? text.slice(i) : text.slice(i, i + end);
      if (/["\r\n]/.test(cell)) throw new Error(`bare quote or newline in an unquoted cell: ${JSON.stringify(cell)}`);
      i += cell.length;
    }
    row.push(cell);
    if (text.startsWith(',', i)) i++;
    else if (text.startsWith('\r\n', i)) { rows.push(row); row = []; i += 2; }
    else if (i < text.length) throw new Error(`garbage after a cell at ${i}`);
  }
  if (row.length) rows.push(row);
  return rows;
}

const NASTY = { actor: '=HYPERLINK("http://evil")', cluster: 'a,b', runId: '@run', type: '+cmd', payload: { text: 'line1\r\nline2 "quoted", comma', formula: '=1+1' } };

describe('ipvs-bot audit export (child process)', () => {
  it('writes CSV that an RFC 4180 reader parses back exactly, with formulas defused and the manifest as the last row', async () => {
    const path = seedFile(3);
    const db = openDb(path);
    recordAudit(db, NASTY);
    recordAudit(db, { actor: '-2+3', cluster: '\tc', type: 'x', payload: {} });
    recordAudit(db, { actor: 'two\r\nlines, "q"\nend', type: 'y', payload: {} }); // real CR/LF inside a cell
    closeDb(db);
    const out = join(dirname(path), 'out.csv');
    const r = await cli(['audit', 'export', '--db', path, '--format', 'csv', '--out', out]);
    expect(r.stderr).toMatch(/exported 6 event\(s\) to .*out\.csv; chain head [0-9a-f]{64}/);
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/"(?:[^"]|"")*"/g, '""')).not.toMatch(/[^\r]\n|\r[^\n]/); // record ends are CRLF
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['seq', 'ts', 'actor', 'cluster', 'run_id', 'type', 'payload', 'prev_hash', 'hash']);
    expect(rows.every((row) => row.length === 9)).toBe(true);
    const nasty = rows[4]!;
    expect(nasty.slice(2, 6)).toEqual(["'=HYPERLINK(\"http://evil\")", 'a,b', "'@run", "'+cmd"]);
    expect(JSON.parse(nasty[6]!)).toEqual(NASTY.payload); // the payload cell starts with "{", so it is kept as is
    expect(rows[5]!.slice(2, 4)).toEqual(["'-2+3", "'\tc"]);
    expect(rows[6]![2]).toBe('two\r\nlines, "q"\nend');
    const manifest = rows[7]!;
    expect(manifest[5]).toBe('manifest');
    const verify = await cli(['audit', 'verify', '--db', path, '--json']);
    const head = (JSON.parse(verify.stdout) as { head: string }).head;
    expect(JSON.parse(manifest[6]!)).toMatchObject({ count: 6, head, chainOk: true });
    expect(rows).toHaveLength(8);
  }, 30_000);

  it('filters by cluster, run and time window to stdout, with the manifest stating the filters', async () => {
    const path = seedFile(40); // events at 2026-03-01T00:01Z + i minutes
    const r = await cli(['audit', 'export', '--db', path, '--format', 'jsonl', '--cluster', 'a', '--run', 'r1', '--since', '2026-03-01T00:10:00Z', '--until', '2026-03-01T00:30']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const manifest = lines.pop()!;
    // i in [10, 30), i % 3 != 0 (cluster a), i % 4 == 1 (run r1): 13, 17, 25, 29
    expect(lines.map((l) => l.seq)).toEqual([13, 17, 25, 29]);
    expect(lines.every((l) => l.cluster === 'a' && l.runId === 'r1')).toBe(true);
    expect(manifest).toMatchObject({ type: 'manifest', count: 4, filters: { cluster: 'a', runId: 'r1', since: '2026-03-01T00:10:00.000Z', until: '2026-03-01T00:30:00.000Z' } });
    const all = await cli(['audit', 'export', '--db', path, '--format', 'jsonl', '--since', '10000d']);
    expect(all.stdout.trim().split('\n')).toHaveLength(41);
  }, 30_000);

  it('exports and verifies while another process holds the DB open and writes (WAL reader)', async () => {
    const path = seedFile(5);
    const bot = openDb(path);
    bot.$client.exec('BEGIN IMMEDIATE'); // the bot mid-transaction
    recordAudit(bot, { actor: 'U1', type: 'uncommitted', payload: {} });
    const [exp, ver] = await Promise.all([cli(['audit', 'export', '--db', path, '--format', 'jsonl']), cli(['audit', 'verify', '--db', path])]);
    bot.$client.exec('COMMIT');
    closeDb(bot);
    expect(exp.code).toBe(0);
    expect(exp.stdout).not.toMatch(/uncommitted/);
    expect(ver).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact: 5 events/) });
  }, 30_000);

  it('exits 2 with one clear line for a locked DB, a full disk, bad times and unknown flags', async () => {
    const path = seedFile(2);
    const holder = new Database(path);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE; COMMIT');
    const locked = await cli(['audit', 'verify', '--db', path, '--busy-timeout', '100']);
    holder.close();
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(/database is locked by another process/);

    const full = await cli(['audit', 'export', '--db', path, '--format', 'jsonl', '--out', '/dev/full']);
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/no space left on the device writing \/dev\/full/);

    for (const args of [['--since', 'yesterday'], ['--until', '2026-13-45'], ['--since', '1d', '--until', '2d'], ['--bogus']]) {
      const r = await cli(['audit', 'export', '--db', path, '--format', 'csv', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: ipvs-bot audit export/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const missing = await cli(['audit', 'export', '--db', tempDbPath(), '--format', 'csv']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/no such file/) });
  }, 30_000);

  it('db migrate creates the file and directory, then verify works on the empty chain', async () => {
    const path = join(dirname(tempDbPath()), 'nested', 'dir', 'bot.db');
    const m = await cli(['db', 'migrate', '--db', path]);
    expect(m.stdout).toMatch(/migration\(s\) applied/);
    expect(m.code).toBe(0);
    expect(await cli(['audit', 'verify', '--db', path])).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact: 0 events/) });
  }, 30_000);
});
