// Whether the database can be written now (issue #14 item 4). A full disk or a read-only database used to surface as
// an uncaught SqliteError (the lease-renewal timer) and kill the process mid-rollout. Every engine write now goes
// through here when it fails: a storage error pauses the engine (no step starts that cannot be recorded), is said
// once in plain words to the log and to listeners (Slack), and a probe write every few seconds finds when writes
// work again, which resumes it. Codes: https://www.sqlite.org/rescode.html (SQLITE_FULL, SQLITE_READONLY_*, SQLITE_IOERR_*).
import type Database from 'better-sqlite3';
import type { Clock, Logger, TimerHandle } from '../workflows/engine/ports.js';

export type StorageProblem = 'full' | 'readonly' | 'io';

/** The storage problem an error is, if it is one (SQLite extended codes start with the primary one). */
export function storageProblem(err: unknown): StorageProblem | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'readonly';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'io';
  return undefined;
}

const WORDS: Record<StorageProblem, string> = {
  full: 'the database disk is full',
  readonly: 'the database is read-only',
  io: 'the database disk cannot be written (I/O error)',
};

/** One sentence for a person, or undefined when err is not a storage problem. */
export function storageProblemWords(err: unknown): string | undefined {
  const p = storageProblem(err);
  return p ? WORDS[p] : undefined;
}

export type StorageListener = (problem: StorageProblem | undefined, text: string) => void;

export interface StorageHealthOptions {
  db: Database.Database;
  clock: Clock;
  logger: Logger;
  /** How often a paused store tries a probe write (default 5 s). */
  probeEveryMs?: number;
}

export class StorageHealth {
  private problem: StorageProblem | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly listeners: StorageListener[] = [];
  private waiters: (() => void)[] = [];
  private probeStmt: Database.Statement | undefined;

  constructor(private readonly o: StorageHealthOptions) {}

  ok(): boolean { return this.problem === undefined; }

  /** The current problem in words (for /healthz), or undefined. */
  text(): string | undefined {
    return this.problem ? `${WORDS[this.problem]} (${this.o.db.name})` : undefined;
  }

  onChange(l: StorageListener): void { this.listeners.push(l); }

  /** True when err is a storage problem: the store is then paused until a probe write succeeds. */
  report(err: unknown): boolean {
    const p = storageProblem(err);
    if (!p) return false;
    if (this.problem !== p) {
      this.problem = p;
      const text = `${WORDS[p]} (${this.o.db.name}): the engine is paused and starts no new step until it can record it; it resumes by itself when writes work again`;
      this.o.logger.error({ dbPath: this.o.db.name, problem: p, err: (err as Error).message }, text);
      this.emit(p, text);
    }
    this.arm();
    return true;
  }

  /**
   * A real write (one row of storage_probe, committed): BEGIN IMMEDIATE alone succeeds on a full disk. Returns the
   * problem found, and updates the state (a success resumes a paused store).
   */
  probe(): StorageProblem | undefined {
    try {
      this.probeStmt ??= this.o.db.prepare('INSERT INTO storage_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at');
      this.probeStmt.run(new Date(this.o.clock.now()).toISOString());
    } catch (err) {
      if (this.report(err)) return this.problem;
      throw err;
    }
    if (this.problem) {
      const was = this.problem;
      this.problem = undefined;
      this.timer?.cancel();
      this.timer = undefined;
      const text = `the database can be written again (${this.o.db.name}); the engine resumes`;
      this.o.logger.info({ dbPath: this.o.db.name, was }, text);
      this.emit(undefined, text);
      for (const w of this.waiters.splice(0)) w();
    }
    return undefined;
  }

  /**
   * Runs a write; while it fails for a storage reason, waits for writes to work and runs it again. For a step's
   * outcome, which must reach the disk: the step already happened. Gives up (rethrows) once `signal` aborts.
   */
  async persist<T>(fn: () => T, signal?: AbortSignal): Promise<T> {
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!this.report(err) || signal?.aborted) throw err;
        this.o.logger.warn({ dbPath: this.o.db.name }, 'a step outcome could not be recorded; retrying when the database can be written');
        await this.writable(signal);
        if (signal?.aborted) throw err;
      }
    }
  }

  /** Resolves when the store is writable (at once if it is), or when signal aborts. */
  writable(signal?: AbortSignal): Promise<void> {
    if (this.ok()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  private arm(): void {
    if (this.timer || this.closed) return;
    this.timer = this.o.clock.setTimer(this.o.probeEveryMs ?? 5000, () => {
      this.timer = undefined;
      if (this.closed || !this.o.db.open) return;
      try {
        if (this.probe()) this.arm();
      } catch (err) {
        this.o.logger.error({ dbPath: this.o.db.name, err: (err as Error).message }, 'database probe failed');
        this.arm();
      }
    });
  }

  private emit(p: StorageProblem | undefined, text: string): void {
    for (const l of this.listeners) {
      try { l(p, text); } catch (err) { this.o.logger.error({ err: String(err) }, 'storage listener failed'); }
    }
  }
}
