// Liveness and readiness for GET /healthz and GET /readyz. Liveness: the process answers and the DB is writable
// (a restart can fix neither otherwise). Readiness: every declared condition (migrations applied, config
// loaded, Slack connected) is met, plus liveness. Conditions start unmet until someone reports them.
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import type { StorageHealth } from './db/storage-health.js';

export interface CheckResult { name: string; ok: boolean; detail?: string }
export interface ProbeResult { ok: boolean; checks: CheckResult[] }
export type CheckFn = () => boolean | { ok: boolean; detail?: string } | Promise<boolean | { ok: boolean; detail?: string }>;

export interface Health {
  /** For /healthz: 200 when ok, else 503. */
  liveness(): Promise<ProbeResult>;
  /** For /readyz: 200 when ok, else 503. */
  readiness(): Promise<ProbeResult>;
  addLiveCheck(name: string, fn: CheckFn): void;
  /** Declares a readiness condition that is unmet until set(name, true). */
  require(name: string, detail?: string): void;
  /** Reports a readiness condition, e.g. set('slack', false, 'socket disconnected'). */
  set(name: string, ok: boolean, detail?: string): void;
}

export function createHealth(): Health {
  const live = new Map<string, CheckFn>();
  const conditions = new Map<string, { ok: boolean; detail?: string }>();

  async function run(name: string, fn: CheckFn): Promise<CheckResult> {
    try {
      const r = await fn();
      return typeof r === 'boolean' ? { name, ok: r } : { name, ok: r.ok, ...(r.detail ? { detail: r.detail } : {}) };
    } catch (e) {
      return { name, ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
  }
  async function liveness(): Promise<ProbeResult> {
    const checks = await Promise.all([...live].map(([n, fn]) => run(n, fn)));
    return { ok: checks.every((c) => c.ok), checks };
  }
  return {
    liveness,
    async readiness() {
      const l = await liveness();
      const checks = [...l.checks, ...[...conditions].map(([name, c]) => ({ name, ...c }))];
      return { ok: checks.every((c) => c.ok), checks };
    },
    addLiveCheck: (name, fn) => { live.set(name, fn); },
    require(name, detail = 'not reported yet') { if (!conditions.has(name)) conditions.set(name, { ok: false, detail }); },
    set(name, ok, detail) { conditions.set(name, { ok, ...(detail ? { detail } : {}) }); },
  };
}

/** The subset of a better-sqlite3 Database the probe uses. */
export interface SqliteHandle { readonly name: string; readonly readonly: boolean; readonly memory: boolean; exec(sql: string): unknown }

/**
 * DB writable: the connection is read-write, the directory takes new files (WAL/SHM, backups), and the write
 * lock can be taken now (another process holding it would block every step). Rolls back: writes nothing.
 */
export function sqliteWritable(db: SqliteHandle): CheckFn {
  return () => {
    if (db.readonly) return { ok: false, detail: 'database opened read-only' };
    if (!db.memory) accessSync(dirname(db.name), constants.W_OK);
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return true;
  };
}

/**
 * DB writable, for /healthz: unhealthy while the storage guard reports a full or read-only database (in its words),
 * else the lock check above plus one real probe write (a full disk lets BEGIN IMMEDIATE through; issue #14 item 4).
 */
export function storageWritable(db: SqliteHandle, storage: StorageHealth): CheckFn {
  const lock = sqliteWritable(db);
  return async () => {
    if (storage.ok()) {
      const r = await lock();
      if (r !== true) return r;
      storage.probe();
    }
    const text = storage.text();
    return text ? { ok: false, detail: text } : true;
  };
}
