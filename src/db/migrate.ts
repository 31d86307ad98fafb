// Applies migrations/ (drizzle-kit output, committed). The folder is found from this file's location so that
// it works from src/ (tsx, tests) and from dist/src/ (npm start) alike.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { Db } from './client.js';

export function migrationsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('migrations/ folder not found next to the package');
}

export function migrateDb(db: Db): void {
  migrate(db, { migrationsFolder: migrationsFolder() });
}
