// Issue #14 item 4 on a real full disk: the bot's SQLite file lives on a small tmpfs (mount -t tmpfs -o size=…, root)
// that the test fills mid-rollout. Before: an uncaught "database or disk is full" from the lease renewal timer ended
// the process with no Slack message and no log line, and /healthz stayed 200. Now: the process lives, /healthz is
// 503, the log and the channel say "the database disk is full", the run starts no new step, an Approve click gets a
// plain answer, and freeing the space resumes the run to success with an intact audit chain.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SlackDriver, SlackStandIn, buttonsIn } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, BOT_TOKEN, CHANNEL, E2E_TIMING, SECRET, clusterYaml, configText } from '../support/e2e-harness.js';
import { describeHost } from './support/tier.js';

let root = '';
let mnt = '';
beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  root = mkdtempSync(join(tmpdir(), 'ipvs-bot-tmpfs-'));
  mnt = join(root, 'db');
  mkdirSync(mnt);
  // 8 MiB: room for the migrated DB and its WAL during a short run, small enough to fill in a moment.
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  if (r.status !== 0) throw new Error(`mount tmpfs failed: ${r.stderr.toString()}`);
});
afterAll(() => {
  if (!mnt) return;
  spawnSync('umount', [mnt]);
  rmSync(root, { recursive: true, force: true });
});

/** Writes a file until the tmpfs says ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  // The last partial pages too.
  const fd2 = openSync(`${path}.2`, 'w');
  try { for (;;) writeSync(fd2, Buffer.alloc(512, 1)); } catch { /* ENOSPC */ } finally { closeSync(fd2); }
}

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeHost('real-host tier: the database disk fills up mid-rollout', () => {
  it('pauses the run, says "the database disk is full" in the log, the channel and to an approver, /healthz 503; resumes when space is freed', async () => {
    const sbs: Sandbox[] = [];
    let slack: SlackStandIn | undefined;
    let rt: Runtime | undefined;
    let log = '';
    try {
      // alpha's kube-proxy takes ~4.5 s for its first sync after a restart (150 ms × 30): the verify Job waits for it.
      sbs.push(await startSandbox({ nodes: 2, stepMs: 5, kubeProxySync: { factor: 30 } }), await startSandbox({ nodes: 2, stepMs: 5 }));
      slack = await SlackStandIn.start();
      slack.addUser(ALICE, 'alice'); slack.addUser(BOB, 'bob'); slack.addChannel(CHANNEL, 'platform-ops');
      const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, IPVS_BOT_DB: join(mnt, 'ipvs-bot.db'), SLACK_API_URL: slack.apiUrl },
        { text: configText([clusterYaml('alpha', sbs[0]!.kubeconfigPath), clusterYaml('beta', sbs[1]!.kubeconfigPath)]) });
      rt = await startRuntime(config, {
        port: 0, ownerId: 'host', logger: createLogger({ level: 'info', destination: { write: (s: string) => { log += s; } } }),
        timing: E2E_TIMING,
      });
      const driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${rt.port}/slack/events`, signingSecret: SECRET, standIn: slack });
      const healthz = async () => (await fetch(`http://127.0.0.1:${rt!.port}/healthz`)).status;
      const planCard = async (cluster: string) => {
        const before = slack!.topLevel(CHANNEL).length;
        expect((await driver.command(ALICE, CHANNEL, `plan ${cluster}`)).status).toBe(200);
        return slack!.waitFor(() => slack!.topLevel(CHANNEL).slice(before).find((m) => buttonsIn(m.blocks).some((b) => b.text === 'Approve')), 30_000, `the ${cluster} plan card`);
      };
      const alpha = await planCard('alpha');
      const beta = await planCard('beta');
      expect((await driver.clickButton(BOB, { channel: CHANNEL, ts: alpha.ts }, 'Approve')).status).toBe(200);
      const db = rt.db.$client;
      const run = () => db.prepare("SELECT id, state, current_step FROM runs WHERE cluster = 'alpha'").get() as { id: string; state: string; current_step: string | null };
      // The canary's verify Job waiting for the sync: the moment the test fills the disk.
      await until('alpha waiting for the canary\'s sync', () => run().state === 'running' && run().current_step === 'verify:0');
      expect(await healthz()).toBe(200);

      fill(join(mnt, 'filler'));
      const startedBefore = (db.prepare("SELECT count(*) AS n FROM audit_events WHERE type = 'step.started'").get() as { n: number }).n;

      const said = await slack.waitFor(() => slack!.topLevel(CHANNEL).find((m) => m.text.includes('the database disk is full')), 30_000, 'the full-disk message in the channel');
      expect(said.text).toContain(join(mnt, 'ipvs-bot.db'));
      expect(log).toMatch(/"level":"error".*"msg":"the database disk is full/);
      expect(await healthz()).toBe(503);
      // No new step while nothing can be recorded; the process is alive and answers.
      await new Promise((r) => setTimeout(r, 1500));
      expect((db.prepare("SELECT count(*) AS n FROM audit_events WHERE type = 'step.started'").get() as { n: number }).n).toBe(startedBefore);
      expect(run()).toMatchObject({ state: 'running', current_step: 'verify:0' });

      // An approval that cannot be recorded gets the cause, not "Something went wrong".
      const seen = slack.ephemeralsFor(BOB).length;
      expect((await driver.clickButton(BOB, { channel: CHANNEL, ts: beta.ts }, 'Approve')).status).toBe(200);
      const answer = await slack.waitFor(() => slack!.ephemeralsFor(BOB)[seen], 15_000, 'the answer to the approval');
      expect(answer.text).toContain('the database disk is full');
      expect(answer.text).not.toMatch(/Something went wrong/);

      unlinkSync(join(mnt, 'filler'));
      unlinkSync(join(mnt, 'filler.2'));
      await slack.waitFor(() => slack!.topLevel(CHANNEL).find((m) => m.text.includes('can be written again')), 30_000, 'the resumed message');
      await until('alpha to succeed', () => run().state === 'succeeded', 90_000);
      expect(await healthz()).toBe(200);
      expect(verifyChain(rt.db).ok).toBe(true);
      // Every step of the run succeeded once.
      const steps = (db.prepare("SELECT payload FROM audit_events WHERE type = 'step.succeeded' AND run_id = ?").all(run().id) as { payload: string }[])
        .map((e) => (JSON.parse(e.payload) as { step: string }).step);
      expect(new Set(steps).size).toBe(steps.length);
      // verify:0 was running when the disk filled: its node result could not be written, and that is not the step
      // failing: it ran again once the disk was freed (a retry, not a rollback).
      const retried = (db.prepare("SELECT payload FROM audit_events WHERE type = 'step.retry_scheduled' AND run_id = ?").all(run().id) as { payload: string }[])
        .map((e) => JSON.parse(e.payload) as { step: string; storage?: boolean; error: string });
      expect(retried).toContainEqual(expect.objectContaining({ step: 'verify:0', storage: true, error: expect.stringMatching(/the database could not be written \(the database disk is full\)/) }));
      expect(db.prepare("SELECT count(*) AS n FROM audit_events WHERE type IN ('step.failed', 'run.rolling_back') AND run_id = ?").get(run().id)).toEqual({ n: 0 });
    } finally {
      await rt?.stop().catch(() => {});
      await slack?.stop().catch(() => {});
      for (const s of sbs) await s.stop().catch(() => {});
    }
  }, 180_000);
});
