// `ipvs-bot audit prune --db PATH --before 365d|ISO`: retention. Deletes events older than the cutoff behind a
// checkpoint event signed with IPVS_BOT_AUDIT_KEY (required: an unsigned checkpoint would let anyone "prune").
// Safe beside the running bot: one short write transaction, waiting on the busy timeout like any writer.
import { parseArgs } from 'node:util';
import { parseTimeArg } from '../audit/parse-time-arg.js';
import { pruneAudit } from '../audit/retention.js';
import { verifyChain } from '../audit/verify-chain.js';
import { openDb } from '../db/client.js';
import { migrateDb } from '../db/migrate.js';
import { setAuditHeadKey } from '../db/audit-store.js';
import { openExistingReadonly, parseBusyTimeout, UsageError, withDb, type CliIo } from './cli-io.js';

export const AUDIT_PRUNE_USAGE = 'usage: IPVS_BOT_AUDIT_KEY=… ipvs-bot audit prune --db PATH --before 365d|ISO';

export async function auditPruneCommand(argv: string[], io: CliIo): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { db: { type: 'string' }, before: { type: 'string' }, 'busy-timeout': { type: 'string' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!v.db) throw new UsageError('--db PATH is required');
  const before = v.before === undefined ? undefined : parseTimeArg(v.before);
  if (!before) throw new UsageError(`--before must be a duration like 365d or an ISO date${v.before === undefined ? '' : `, got "${v.before.slice(0, 40)}"`}`);
  const key = io.env.IPVS_BOT_AUDIT_KEY;
  if (!key || key.length < 16) throw new UsageError('IPVS_BOT_AUDIT_KEY (at least 16 characters) must be set: it signs the checkpoint');
  const busyTimeoutMs = parseBusyTimeout(v['busy-timeout']);
  openExistingReadonly(v.db, busyTimeoutMs).$client.close(); // fail clearly on a missing file instead of creating one
  const db = openDb(v.db, busyTimeoutMs !== undefined ? { busyTimeoutMs } : {});
  return withDb(db, (d) => {
    migrateDb(d);
    setAuditHeadKey(d, key);
    // Never prune a broken chain: the checkpoint would vouch for rows that were already tampered with.
    const check = verifyChain(d, { key });
    if (!check.ok) {
      io.out.write(`refusing to prune: audit chain BROKEN at row ${check.firstBad?.seq}: ${check.firstBad?.reason}\n`);
      return 1;
    }
    const r = pruneAudit(d, { before, key });
    io.out.write(r.pruned ? `pruned ${r.pruned} event(s) before ${before.toISOString()}; signed checkpoint at row ${r.checkpointSeq}\n` : `nothing before ${before.toISOString()} to prune\n`);
    return 0;
  });
}
