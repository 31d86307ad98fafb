import { describe, expect, it } from 'vitest';
describe('toolchain', () => {
  it('loads better-sqlite3 natively', async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(':memory:');
    expect((db.prepare('select 1 + 1 as v').get() as { v: number }).v).toBe(2);
  });
});
