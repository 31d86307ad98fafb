// `ipvs-bot db migrate --db PATH`: creates the file (and its directory) if needed and applies migrations/.
import { parseArgs } from 'node:util';
import { openDb } from '../db/client.js';
import { migrateDb } from '../db/migrate.js';
import { parseBusyTimeout, UsageError, withDb, type CliIo } from './cli-io.js';

export const DB_MIGRATE_USAGE = 'usage: ipvs-bot db migrate --db PATH';

export async function dbMigrateCommand(argv: string[], io: CliIo): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { db: { type: 'string' }, 'busy-timeout': { type: 'string' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const path = v.db ?? io.env.IPVS_BOT_DB;
  if (!path) throw new UsageError('--db PATH is required (or set IPVS_BOT_DB)');
  const busyTimeoutMs = parseBusyTimeout(v['busy-timeout']);
  const db = openDb(path, busyTimeoutMs !== undefined ? { busyTimeoutMs } : {});
  const applied = await withDb(db, (d) => {
    migrateDb(d);
    return (d.$client.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
  });
  io.out.write(`${path}: ${applied} migration(s) applied, schema up to date\n`);
  return 0;
}
