// Issue #6 "SIGTERM mid-run then restart finishes the run", with the bot as a real child process (src/main.ts):
// the first process is stopped with SIGTERM during the canary's settle wait and exits 0 leaving the run
// unfinished; a second process on the same SQLite file resumes it to success, applying no step twice, keeps
// updating the same Slack card, and the audit chain verifies. Also: a bad configuration is reported in full.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { closeDb, openDb, type Db } from '../../src/db/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SlackDriver, SlackStandIn, blocksToText, buttonsIn } from '../../src/slack-stand-in/index.js';
import {
  ALICE, BOB, BOT_TOKEN, CHANNEL, SECRET, clusterYaml, configMapMode, freePort, kubeProxyLogs, writeConfigFile,
} from '../support/e2e-harness.js';
import { killBot, spawnBot, waitReady, type ChildBot } from './child-bot.js';
import { until } from './bot-world.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-e2e-child-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface RunRow { id: string; state: string; current_step: string | null; lease_owner: string | null; plan_json: string; message_ts: string | null }

const TERMINAL = new Set(['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided', 'waiting_operator']);

describe('e2e: the bot as a process', () => {
  it('SIGTERM mid-run exits 0; a restart on the same DB finishes the run, no step twice, same card, audit chain intact', async () => {
    // kube-proxy's first sync after a restart takes ~6 s here (150 ms × 40, kube-proxy-endpoints.ts): the verify Job waits for it.
    const sb: Sandbox = await startSandbox({ nodes: 2, stepMs: 5, kubeProxySync: { factor: 40 } });
    cleanups.push(() => sb.stop());
    const slack = await SlackStandIn.start();
    cleanups.push(() => slack.stop());
    slack.addUser(ALICE, 'alice'); slack.addUser(BOB, 'bob'); slack.addChannel(CHANNEL, 'platform-ops');
    const dir = tempDir();
    const dbPath = join(dir, 'ipvs-bot.db');
    const port = await freePort();
    // Default timing (what `npm start` uses): each node's first Job after its restart waits for kube-proxy's first sync.
    const env = {
      SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl,
      IPVS_BOT_CONFIG: writeConfigFile(dir, [clusterYaml('sandbox', sb.kubeconfigPath)]), IPVS_BOT_DB: dbPath, PORT: String(port),
    };
    let bot: ChildBot | undefined = spawnBot(env);
    cleanups.push(() => killBot(bot));
    await waitReady(port, bot);
    const driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET, standIn: slack });

    expect((await driver.command(ALICE, CHANNEL, 'plan sandbox')).status).toBe(200);
    const card = await slack.waitFor(() => slack.topLevel(CHANNEL).find((m) => buttonsIn(m.blocks).some((b) => b.text === 'Approve')), 30_000, 'the plan card');
    expect((await driver.clickButton(BOB, { channel: CHANNEL, ts: card.ts }, 'Approve')).status).toBe(200);

    const db: Db = openDb(dbPath, { readonly: true });
    cleanups.push(() => closeDb(db));
    const runRow = () => db.$client.prepare('SELECT id, state, current_step, lease_owner, plan_json, message_ts FROM runs').get() as RunRow | undefined;
    // Mid-run: the canary was restarted and its verify Job waits for kube-proxy to sync.
    const mid = await until('the canary\'s wait for the sync', 30_000, () => { const r = runRow(); return r?.state === 'running' && r.current_step === 'verify:0' && r; });
    const canary = (JSON.parse(mid.plan_json) as { rollout: { canary: string } }).rollout.canary;
    const podUid = (node: string) => (sb.store.list('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' }).items as { metadata: { uid?: string; deletionTimestamp?: string }; spec?: { nodeName?: string } }[])
      .find((p) => p.spec?.nodeName === node && !p.metadata.deletionTimestamp)?.metadata.uid;
    const canaryPodAtStop = podUid(canary);
    expect(canaryPodAtStop).toBeDefined();

    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.out()).toMatch(/shutting down/);
    const firstLog = bot.out() + bot.err();
    const stopped = runRow()!;
    expect(TERMINAL.has(stopped.state), stopped.state).toBe(false);
    expect(stopped.lease_owner).toBeNull();
    expect(configMapMode(sb)).toBe('ipvs');

    bot = spawnBot(env);
    await waitReady(port, bot);
    const done = await until('the run to end', 150_000, () => { const r = runRow(); return r && TERMINAL.has(r.state) && r; });
    expect(done.state).toBe('succeeded');

    // No step applied twice: every step of the run succeeded exactly once across both processes.
    const events = (db.$client.prepare('SELECT type, payload FROM audit_events WHERE run_id = ? ORDER BY seq').all(done.id) as { type: string; payload: string }[])
      .map((e) => ({ type: e.type, payload: JSON.parse(e.payload) as { step?: string; steps?: string[] } }));
    const steps = events.find((e) => e.type === 'run.started')?.payload.steps ?? [];
    expect(steps).toContain('verify:0');
    expect(steps.some((s) => s.startsWith('settle:'))).toBe(false);
    expect(steps.length).toBeGreaterThan(5);
    const succeeded = events.filter((e) => e.type === 'step.succeeded').map((e) => e.payload.step);
    expect([...succeeded].sort()).toEqual([...steps].sort());
    expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
    // The canary was restarted once, before the stop; the second process did not restart it again.
    expect(podUid(canary)).toBe(canaryPodAtStop);
    expect(verifyChain(db).ok).toBe(true);

    // The cluster is migrated.
    expect(configMapMode(sb)).toBe('ipvs');
    for (const [node, log] of await kubeProxyLogs(sb)) expect(log, node).toContain('Using ipvs Proxier');

    // The second process kept updating the same card; the result was broadcast once.
    expect(done.message_ts).toBe(card.ts);
    await slack.waitFor(() => blocksToText(slack.message(CHANNEL, card.ts)?.blocks).some((l) => l.includes('Succeeded')), 15_000, 'the succeeded card');
    await slack.waitFor(() => slack.replies(CHANNEL, card.ts).some((m) => m.reply_broadcast), 15_000, 'the broadcast');
    expect(slack.topLevel(CHANNEL).filter((m) => m.blocks)).toHaveLength(1);
    expect(slack.replies(CHANNEL, card.ts).filter((m) => m.reply_broadcast)).toHaveLength(1);

    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    // Secrets never reach the logs.
    for (const text of [firstLog, bot.out() + bot.err()]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(BOT_TOKEN);
    }
  }, 240_000); // two 10 s settle waits (default timing) plus two process start-ups, on a shared 2-core box

  it('start-up with a bad config file prints every problem with its name and exits non-zero', async () => {
    const dir = tempDir();
    const path = writeConfigFile(dir, [
      { name: 'Prod_Cluster', approvers: { users: ['bob'] }, approvalTtl: 'soon', colour: 'blue' },
    ]);
    const bot = spawnBot({ SLACK_BOT_TOKEN: 'not-a-token', IPVS_BOT_CONFIG: path, IPVS_BOT_DB: join(dir, 'x.db'), PORT: '99999' });
    cleanups.push(() => killBot(bot));
    const code = await bot.exited;
    expect(code).not.toBe(0);
    expect(typeof code).toBe('number');
    const err = bot.err();
    expect(err).toMatch(/SLACK_BOT_TOKEN: must be a bot token/);
    expect(err).toMatch(/PORT: must be 1-65535/);
    expect(err).toMatch(/clusters\[0\]\.name: must be lower-case/);
    expect(err).toMatch(/clusters\[0\]\.approvers\.users\[0\]: must be a Slack user ID/);
    expect(err).toMatch(/clusters\[0\]\.approvalTtl: must be a duration/);
    expect(err).toMatch(/clusters\[0\].*unknown key\(s\): colour/);
    expect(err).not.toMatch(/\n\s+at .*\.(ts|js):\d+/); // a list for a person, not a stack trace
  });

  // Regression (fixed in 868b6ae): the per-cluster policy checks used to run only when the whole file passed the
  // schema, so the operator fixed clusters[0] and only then learned about clusters[1].
  it('a schema error in one cluster does not hide the approval-policy problem of another', async () => {
    const dir = tempDir();
    const path = writeConfigFile(dir, [
      { name: 'Prod_Cluster', approvers: { users: [BOB] } },
      { name: 'staging', approvers: { users: [BOB] }, requiredApprovals: 3 },
    ]);
    const bot = spawnBot({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, IPVS_BOT_CONFIG: path, IPVS_BOT_DB: join(dir, 'x.db') });
    cleanups.push(() => killBot(bot));
    expect(await bot.exited).toBe(2);
    expect(bot.err()).toMatch(/clusters\[0\]\.name: must be lower-case/);
    expect(bot.err()).toMatch(/clusters\[1\]\.requiredApprovals: needs 3 approvals but only 1/);
  });
});
