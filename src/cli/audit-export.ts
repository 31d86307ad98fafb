// `ipvs-bot audit export --db PATH [--cluster C] [--run R] [--since 30d|ISO] [--until 30d|ISO] --format jsonl|csv
// [--out FILE]`: streams the events (read-only, a WAL reader: fine while the bot runs) to stdout or a file.
// The data goes to stdout/--out; the summary line goes to stderr so a pipe gets only the export.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { exportAudit, type ExportOptions } from '../audit/export-audit.js';
import { parseTimeArg } from '../audit/parse-time-arg.js';
import { openExistingReadonly, parseBusyTimeout, UsageError, withDb, type CliIo } from './cli-io.js';

export const AUDIT_EXPORT_USAGE = 'usage: ipvs-bot audit export --db PATH [--cluster C] [--run RUN_ID] [--since 30d|ISO] [--until 30d|ISO] --format jsonl|csv [--out FILE]';

export function parseAuditExportArgs(argv: string[], now = new Date()): { db: string; out?: string; busyTimeoutMs?: number; opts: ExportOptions } {
  let v;
  try {
    v = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        db: { type: 'string' }, cluster: { type: 'string' }, run: { type: 'string' }, since: { type: 'string' },
        until: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, 'busy-timeout': { type: 'string' },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!v.db) throw new UsageError('--db PATH is required');
  if (v.format !== 'jsonl' && v.format !== 'csv') throw new UsageError(`--format jsonl|csv is required${v.format ? ` (got "${v.format.slice(0, 20)}")` : ''}`);
  const time = (name: 'since' | 'until'): Date | undefined => {
    const text = v[name];
    if (text === undefined) return undefined;
    const d = parseTimeArg(text, now);
    if (!d) throw new UsageError(`--${name} must be a duration like 30d, 12h, 90m or an ISO date like 2026-01-31T00:00:00Z, got "${text}"`);
    return d;
  };
  const opts: ExportOptions = { format: v.format };
  if (v.cluster) opts.cluster = v.cluster;
  if (v.run) opts.runId = v.run;
  const since = time('since');
  const until = time('until');
  if (since) opts.since = since;
  if (until) opts.until = until;
  if (since && until && since >= until) throw new UsageError('--since must be before --until');
  const busyTimeoutMs = parseBusyTimeout(v['busy-timeout']);
  return { db: v.db, opts, ...(v.out ? { out: v.out } : {}), ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) };
}

export async function auditExportCommand(argv: string[], io: CliIo): Promise<number> {
  const a = parseAuditExportArgs(argv);
  const db = openExistingReadonly(a.db, a.busyTimeoutMs);
  const file = a.out ? createWriteStream(a.out) : undefined;
  const out: NodeJS.WritableStream = file ?? io.out;
  // A write error (disk full, EPIPE) is kept and rethrown, never left as an unhandled 'error' event.
  let writeError: unknown;
  const onError = (e: unknown) => { writeError ??= e; };
  out.on('error', onError);
  try {
    const r = await withDb(db, (d) => exportAudit(d, a.opts, out));
    if (file) {
      file.end();
      await finished(file);
    }
    if (writeError) throw writeError as Error;
    io.err.write(`exported ${r.count} event(s)${a.out ? ` to ${a.out}` : ''}; chain head ${r.head}${r.chainOk ? '' : ' (CHAIN BROKEN: run `ipvs-bot audit verify`)'}\n`);
    return r.chainOk ? 0 : 1;
  } catch (e) {
    // fs write errors carry no path; name the destination so "disk full" says where.
    if (writeError) throw Object.assign(writeError as object, { path: a.out ?? 'stdout' });
    throw e;
  } finally {
    out.off('error', onError);
  }
}
