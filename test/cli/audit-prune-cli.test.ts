import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { seedFile, tamper } from '../audit/fixtures/audit-db.js';

const KEY = 'cli-prune-key-0123456789';

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { timeout: 30_000, env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('ipvs-bot audit prune (child process)', () => {
  it('prunes behind a signed checkpoint; verify with the key stays ok, with another key names the checkpoint', async () => {
    const path = seedFile(10); // minutes 1..10 after 2026-03-01T00:00Z
    const p = await cli(['audit', 'prune', '--db', path, '--before', '2026-03-01T00:05:30Z'], { IPVS_BOT_AUDIT_KEY: KEY });
    expect(p.stdout).toMatch(/pruned 5 event\(s\) before 2026-03-01T00:05:30.000Z; signed checkpoint at row 11/);
    expect(p.code).toBe(0);
    expect(await cli(['audit', 'verify', '--db', path], { IPVS_BOT_AUDIT_KEY: KEY })).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact: 6 events/) });
    const unsigned = await cli(['audit', 'verify', '--db', path]);
    expect(unsigned).toMatchObject({ code: 0, stderr: expect.stringMatching(/warning: .*signature was not checked/) });
    const wrong = await cli(['audit', 'verify', '--db', path], { IPVS_BOT_AUDIT_KEY: 'some-other-key-0123456789' });
    expect(wrong).toMatchObject({ code: 1, stdout: expect.stringMatching(/BROKEN at row 11: checkpoint signature/) });
  }, 30_000);

  it('refuses without a key (exit 2) and refuses to prune a broken chain (exit 1)', async () => {
    const path = seedFile(6);
    expect(await cli(['audit', 'prune', '--db', path, '--before', '1d'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/IPVS_BOT_AUDIT_KEY/) });
    tamper(path, "UPDATE audit_events SET actor = 'U9' WHERE seq = 2");
    const r = await cli(['audit', 'prune', '--db', path, '--before', '1d'], { IPVS_BOT_AUDIT_KEY: KEY });
    expect(r).toMatchObject({ code: 1, stdout: expect.stringMatching(/refusing to prune: audit chain BROKEN at row 2/) });
  }, 30_000);
});
