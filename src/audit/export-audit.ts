// Streams audit events as JSONL or CSV (constant memory: rows are iterated, writes wait for drain) and ends with
// a manifest: the count, the filters and the chain head at export time, so an auditor can check the file
// against `audit verify`.
import { once } from 'node:events';
import { closeDb, openDb, type Db } from '../db/client.js';
import { checkTail } from './audit-head.js';
import { GENESIS_HASH } from './hash-chain.js';
import { startWalk, verifyChain } from './verify-chain.js';

export interface ExportFilter { cluster?: string; runId?: string; since?: Date; until?: Date }
export interface ExportOptions extends ExportFilter { format: 'jsonl' | 'csv' }
export interface ExportResult { count: number; head: string; chainOk: boolean; /** The last row's seq (the head's). */ headSeq: number }

const CSV_COLUMNS = ['seq', 'ts', 'actor', 'cluster', 'run_id', 'type', 'payload', 'prev_hash', 'hash'] as const;

/** RFC 4180 quoting, plus a leading quote on cells a spreadsheet would read as a formula. */
export function csvCell(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function query(f: ExportFilter): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: string[] = [];
  if (f.cluster) { where.push('cluster = ?'); args.push(f.cluster); }
  if (f.runId) { where.push('run_id = ?'); args.push(f.runId); }
  if (f.since) { where.push('ts >= ?'); args.push(f.since.toISOString()); }
  if (f.until) { where.push('ts < ?'); args.push(f.until.toISOString()); }
  return { sql: `SELECT seq, ts, actor, cluster, run_id, type, payload, prev_hash, hash FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`, args };
}

/**
 * Reads through a connection of its own when the store is a file: the rows are read across awaits (waiting for
 * `drain`), and better-sqlite3 refuses any other statement on a connection while an iterator is open, so sharing
 * the bot's connection would make its writes fail for the length of the export. One read transaction gives the
 * rows and the manifest's head from the same snapshot (WAL: the writer carries on meanwhile).
 */
export async function exportAudit(db: Db, opts: ExportOptions, out: NodeJS.WritableStream): Promise<ExportResult> {
  const own = db.$client.memory || db.$client.readonly ? undefined : openDb(db.$client.name, { readonly: true });
  const reader = own ?? db;
  const snapshot = !reader.$client.inTransaction;
  if (snapshot) reader.$client.exec('BEGIN');
  try {
    return await exportFrom(reader, opts, out);
  } finally {
    if (snapshot && reader.$client.inTransaction) reader.$client.exec('COMMIT');
    if (own) closeDb(own);
  }
}

type RawRow = [number, string, string, string | null, string | null, string, string, string, string];
const j = JSON.stringify;

function line(r: RawRow, format: 'jsonl' | 'csv'): string {
  return format === 'jsonl'
    ? `{"seq":${r[0]},"ts":${j(r[1])},"actor":${j(r[2])},"cluster":${j(r[3])},"runId":${j(r[4])},"type":${j(r[5])},"payload":${r[6]},"prevHash":${j(r[7])},"hash":${j(r[8])}}\n`
    : `${r.map(csvCell).join(',')}\r\n`;
}

async function exportFrom(db: Db, opts: ExportOptions, out: NodeJS.WritableStream): Promise<ExportResult> {
  const { sql, args } = query(opts);
  const write = async (chunk: string): Promise<void> => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  // Unfiltered, the exported rows are the whole chain: check it in the same pass instead of reading it twice.
  const unfiltered = !opts.cluster && !opts.runId && !opts.since && !opts.until;
  const walk = unfiltered ? startWalk(db) : undefined;
  let walker = walk && !('bad' in walk) ? walk.walker : undefined;
  let walkOk = !!walker;
  if (opts.format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
  let count = 0;
  let buf = '';
  for (const r of db.$client.prepare(sql).raw(true).iterate(...args) as IterableIterator<RawRow>) {
    count++;
    if (walker && walker.check(...r) !== undefined) { walkOk = false; walker = undefined; }
    buf += line(r, opts.format);
    if (buf.length > 64 * 1024) { await write(buf); buf = ''; }
  }
  if (buf) await write(buf);
  // A cut tail still chains: the head row and sqlite_sequence say where the chain really ended.
  const chain = walk
    ? ('bad' in walk ? { ok: false, head: GENESIS_HASH }
      : { ok: walkOk && !checkTail(db.$client, walk.walker.lastSeq, walk.walker.head).bad, head: walk.walker.head })
    : verifyChain(db);
  const headSeq = (db.$client.prepare('SELECT coalesce(max(seq), 0) AS s FROM audit_events').get() as { s: number }).s;
  const filters = { cluster: opts.cluster ?? null, runId: opts.runId ?? null, since: opts.since?.toISOString() ?? null, until: opts.until?.toISOString() ?? null };
  if (opts.format === 'jsonl') {
    await write(`${JSON.stringify({ type: 'manifest', count, head: chain.head, headSeq, chainOk: chain.ok, filters, exportedAt: new Date().toISOString() })}\n`);
  } else {
    // The manifest is a last row of the same shape: type "manifest", its JSON in the payload column.
    await write(`${['', new Date().toISOString(), 'system', opts.cluster ?? '', opts.runId ?? '', 'manifest', JSON.stringify({ count, head: chain.head, headSeq, chainOk: chain.ok, filters }), '', chain.head].map(csvCell).join(',')}\r\n`);
  }
  return { count, head: chain.head, chainOk: chain.ok, headSeq };
}
