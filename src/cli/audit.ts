// `ipvs-bot audit export --db PATH [--cluster C] [--run R] [--since 30d|ISO] [--until …] --format jsonl|csv [--out FILE]`
// `ipvs-bot audit verify --db PATH [--key-env VAR]`. Opens the DB read-only: works while the bot runs (WAL readers).
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { openDb } from '../db/client.js';
import { exportAudit } from '../audit/export-audit.js';
import { verifyChain } from '../audit/verify-chain.js';
import { UsageError } from './usage-error.js';

export const AUDIT_USAGE = 'usage: ipvs-bot audit export --db PATH [--cluster C] [--run R] [--since 30d|ISO] [--until 7d|ISO] --format jsonl|csv [--out FILE]\n       ipvs-bot audit verify --db PATH';

/** "30d", "12h", "15m" before now, or an ISO date. */
export function parseWhen(value: string, now = Date.now()): Date {
  const rel = /^(\d{1,5})([dhm])$/.exec(value);
  if (rel) return new Date(now - Number(rel[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as 'd' | 'h' | 'm']);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`"${value.slice(0, 40)}" is not a time: use 30d, 12h, 15m or an ISO date`);
  return new Date(t);
}

function openReadonly(path: string | undefined) {
  if (!path) throw new UsageError('--db PATH is required');
  try {
    return openDb(path, { readonly: true });
  } catch (e) {
    throw new UsageError(`cannot open the database ${path}: ${(e as { code?: string }).code === 'SQLITE_CANTOPEN' ? 'no such file' : (e as Error).message}`);
  }
}

export async function auditCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest, strict: true,
    options: { db: { type: 'string' }, cluster: { type: 'string' }, run: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
  });
  if (sub === 'verify') {
    const r = verifyChain(openReadonly(values.db));
    if (r.ok) {
      out.write(`audit chain intact: ${r.count} events, head ${r.head}\n`);
      return 0;
    }
    out.write(`audit chain BROKEN at row ${r.firstBad?.seq}: ${r.firstBad?.reason}\n`);
    return 1;
  }
  if (sub === 'export') {
    if (values.format !== 'jsonl' && values.format !== 'csv') throw new UsageError('--format jsonl|csv is required');
    const db = openReadonly(values.db);
    const target = values.out ? createWriteStream(values.out) : out;
    const r = await exportAudit(db, {
      format: values.format,
      ...(values.cluster ? { cluster: values.cluster } : {}), ...(values.run ? { runId: values.run } : {}),
      ...(values.since ? { since: parseWhen(values.since) } : {}), ...(values.until ? { until: parseWhen(values.until) } : {}),
    }, target);
    if (values.out) {
      (target as NodeJS.WritableStream).end();
      await finished(target as NodeJS.WritableStream);
      process.stderr.write(`exported ${r.count} events to ${values.out}; chain head ${r.head}\n`);
    }
    return 0;
  }
  throw new UsageError(`unknown audit subcommand "${String(sub ?? '').slice(0, 20)}"`);
}
