// Streams audit events as JSONL or CSV (constant memory: rows are iterated, writes wait for drain) and ends with
// a manifest: the count, the filters and the chain head at export time, so an auditor can check the file
// against `audit verify`.
import { once } from 'node:events';
import { closeDb, openDb, type Db } from '../db/client.js';
import { verifyChain } from './verify-chain.js';

export interface ExportFilter { cluster?: string; runId?: string; since?: Date; until?: Date }
export interface ExportOptions extends ExportFilter { format: 'jsonl' | 'csv' }
export interface ExportResult { count: number; head: string; chainOk: boolean }

interface Row { seq: number; ts: string; actor: string; cluster: string | null; run_id: string | null; type: string; payload: string; prev_hash: string; hash: string }

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
  return { sql: `SELECT * FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`, args };
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

async function exportFrom(db: Db, opts: ExportOptions, out: NodeJS.WritableStream): Promise<ExportResult> {
  const { sql, args } = query(opts);
  const write = async (chunk: string): Promise<void> => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  if (opts.format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
  let count = 0;
  let buf = '';
  for (const r of db.$client.prepare(sql).iterate(...args) as IterableIterator<Row>) {
    count++;
    if (opts.format === 'jsonl') {
      buf += `{"seq":${r.seq},"ts":${JSON.stringify(r.ts)},"actor":${JSON.stringify(r.actor)},"cluster":${JSON.stringify(r.cluster)},"runId":${JSON.stringify(r.run_id)},"type":${JSON.stringify(r.type)},"payload":${r.payload},"prevHash":"${r.prev_hash}","hash":"${r.hash}"}\n`;
    } else {
      buf += `${CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')}\r\n`;
    }
    if (buf.length > 64 * 1024) { await write(buf); buf = ''; }
  }
  if (buf) await write(buf);
  const chain = verifyChain(db);
  const filters = { cluster: opts.cluster ?? null, runId: opts.runId ?? null, since: opts.since?.toISOString() ?? null, until: opts.until?.toISOString() ?? null };
  if (opts.format === 'jsonl') {
    await write(`${JSON.stringify({ type: 'manifest', count, head: chain.head, chainOk: chain.ok, filters, exportedAt: new Date().toISOString() })}\n`);
  } else {
    // The manifest is a last row of the same shape: type "manifest", its JSON in the payload column.
    await write(`${['', new Date().toISOString(), 'system', opts.cluster ?? '', opts.runId ?? '', 'manifest', JSON.stringify({ count, head: chain.head, chainOk: chain.ok, filters }), '', chain.head].map(csvCell).join(',')}\r\n`);
  }
  return { count, head: chain.head, chainOk: chain.ok };
}
