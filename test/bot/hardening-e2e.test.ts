// Issue #14 item 12 through the real runtime (SQLite with the real migrations, the sandbox over HTTP, the Bolt app
// driven with signed requests): the "busy" answer names the running run with a real mention, also for
// `rollback <cluster>` during a migration; and the bot's start-up message names the DB path and the likely cause.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, E2e, freePort, writeConfigFile } from '../support/e2e-harness.js';
import { spawnBot, killBot, type ChildBot } from '../e2e/child-bot.js';
import { closeDb, openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';

describe('#14 item 12 through the real runtime and the sandbox', () => {
  let e: E2e;
  beforeAll(async () => { e = await E2e.start(); }, 60_000);
  afterAll(async () => { await e?.stop(); });

  it('a second plan, and rollback <cluster>, during a migration say "busy" with a real mention of the requester', async () => {
    const { runId } = await e.plan('plan sandbox --mode ipvs');
    const n = e.slack.ephemeralsFor(BOB).length;
    await e.command(BOB, 'plan sandbox --mode ipvs');
    const busy = await e.slack.waitFor(() => e.slack.ephemeralsFor(BOB).slice(n).find((x) => /busy/.test(x.text)), 15_000, 'busy answer');
    expect(busy.text).toContain(`<@${ALICE}>`);
    expect(busy.text).not.toContain('&lt;@');
    expect(busy.text).toContain(runId);
    const m = e.slack.ephemeralsFor(BOB).length;
    await e.command(BOB, 'rollback sandbox');
    const rb = await e.slack.waitFor(() => e.slack.ephemeralsFor(BOB).slice(m).find((x) => x.via === 'response_url'), 15_000, 'rollback answer');
    expect(rb.text).toMatch(/busy/);
    expect(rb.text).toContain(runId);
    expect(rb.text).not.toMatch(/no finished migration/i);
  }, 120_000);
});

describe('#14 item 12: start-up messages for a database that cannot be opened or written', () => {
  let dir: string;
  let bot: ChildBot | undefined;
  const mounts: string[] = [];
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-dbstart-')); });
  afterAll(async () => {
    await killBot(bot);
    for (const m of mounts.reverse()) execFileSync('umount', [m]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function startWith(dbPath: string): Promise<string> {
    const config = writeConfigFile(dir, [{ name: 'a', approvers: { users: [BOB] } }]);
    bot = spawnBot({ SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: 'http://127.0.0.1:9/api/', IPVS_BOT_CONFIG: config, IPVS_BOT_DB: dbPath, PORT: String(await freePort()) });
    const code = await bot.exited;
    expect(code).toBe(1);
    return bot.err();
  }

  it('"unable to open database file" names the path and says what to check', async () => {
    const asDir = join(dir, 'is-a-directory.db');
    mkdirSync(asDir);
    const err = await startWith(asDir);
    expect(err).toContain(asDir);
    expect(err).toMatch(/unable to open database file/);
    expect(err).toMatch(/directory|permission|writable/i);
  }, 120_000);

  it('a read-only file system (ro tmpfs, run as root) names the path and says it is read-only', async () => {
    const mnt = join(dir, 'ro');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt]);
    mounts.push(mnt);
    const err = await startWith(join(mnt, 'ipvs-bot.db'));
    expect(err).toContain(join(mnt, 'ipvs-bot.db'));
    expect(err).toMatch(/read-only/i);
  }, 120_000);

  it('an existing database whose file system was remounted read-only names the path and says it is read-only', async () => {
    const mnt = join(dir, 'remount');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    mounts.push(mnt);
    const path = join(mnt, 'ipvs-bot.db');
    const db = openDb(path);
    migrateDb(db);
    closeDb(db);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const err = await startWith(path);
    expect(err).toContain(path);
    expect(err).toMatch(/read-only/i);
  }, 120_000);
});
