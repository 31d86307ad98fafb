// `ipvs-bot audit verify --db PATH`: recomputes the hash chain (read-only) and names the first bad row.
// The retention checkpoint's signature is checked with IPVS_BOT_AUDIT_KEY when it is set.
import { parseArgs } from 'node:util';
import { verifyChain } from '../audit/verify-chain.js';
import { openExistingReadonly, parseBusyTimeout, UsageError, withDb, type CliIo } from './cli-io.js';

export const AUDIT_VERIFY_USAGE = 'usage: ipvs-bot audit verify --db PATH [--json]   (IPVS_BOT_AUDIT_KEY checks retention checkpoints)';

export async function auditVerifyCommand(argv: string[], io: CliIo): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { db: { type: 'string' }, json: { type: 'boolean' }, 'busy-timeout': { type: 'string' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!v.db) throw new UsageError('--db PATH is required');
  const db = openExistingReadonly(v.db, parseBusyTimeout(v['busy-timeout']));
  const key = io.env.IPVS_BOT_AUDIT_KEY;
  const r = await withDb(db, (d) => verifyChain(d, key ? { key } : {}));
  if (v.json) io.out.write(`${JSON.stringify(r)}\n`);
  else if (r.ok) io.out.write(`audit chain intact: ${r.count} events, head ${r.head}\n`);
  else if (r.missingTail) io.out.write(`audit chain TRUNCATED: ${r.firstBad?.reason}\n(the ${r.count} event(s) still there verify; last good hash ${r.head})\n`);
  else io.out.write(`audit chain BROKEN at row ${r.firstBad?.seq}: ${r.firstBad?.reason}\n(${r.count} event(s) before it verified; last good hash ${r.head})\n`);
  if (!v.json) for (const w of r.warnings ?? []) io.err.write(`warning: ${w}\n`);
  return r.ok ? 0 : 1;
}
