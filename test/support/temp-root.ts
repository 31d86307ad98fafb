// vitest globalSetup: every temp file of the run (tests, the bot, the sandbox, kubectl and child processes alike)
// goes under one fresh directory, because os.tmpdir() reads TMPDIR and workers and children inherit it. Teardown
// fails the run when a test left something there (each test cleans up after itself, issue #15 item 5), then
// removes the directory, so `npm test` leaves the system temp dir as it was.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ipvs-bot-test-run-'));
  const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };
  process.env.TMPDIR = root; process.env.TMP = root; process.env.TEMP = root;
  return () => {
    // tsx keeps its compile cache there for the child processes it runs (tsx-<uid>): tooling, not a test's file.
    const left = readdirSync(root).filter((n) => !/^tsx-\d+$/.test(n));
    rmSync(root, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    if (left.length > 0) {
      // vitest reports an error thrown here but still exits 0: set the exit code too.
      process.exitCode = 1;
      throw new Error(`tests left ${left.length} temp entr${left.length === 1 ? 'y' : 'ies'} behind (removed now; clean up in afterEach/afterAll): ${left.slice(0, 20).join(', ')}${left.length > 20 ? ', …' : ''}`);
    }
  };
}
