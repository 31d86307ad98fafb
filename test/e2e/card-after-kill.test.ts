// Issue #14 item 5: the notifier coalesces card updates in memory, so a kill -9 right after a run's final commit left
// its card on "Running" for ever. The bot (a real child process, src/main.ts) keeps what each card showed in the DB
// (run_renders) and, on start, renders again every card whose run changed since. The kill is made deterministic with
// the stand-in's 429 knob: one chat.update answers Retry-After 600 s, which holds that run's Slack queue (as a real 429
// does), so nothing after it reaches Slack before the SIGKILL.
import { afterEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../src/db/client.js';
import { blocksToText, buttonsIn } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, CHANNEL } from '../support/e2e-harness.js';
import { botWorld, until } from './bot-world.js';
import { killBot, spawnBot, waitReady, type ChildBot } from './child-bot.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

describe('e2e: the card after a kill -9', () => {
  it('a bot killed right after the final commit leaves the card on Running; the restarted bot renders it Succeeded and posts the result once', async () => {
    // kube-proxy's first sync after the restart takes ~3 s (150 ms × 20, kube-proxy-endpoints.ts): the card shows Running
    // for a while before the run ends.
    const { slack, dbPath, port, env, driver } = await botWorld(cleanups, { sandbox: { nodes: 1, stepMs: 5, kubeProxySync: { factor: 20 } }, dirPrefix: 'ipvs-bot-e2e-card-' });
    let bot: ChildBot | undefined = spawnBot(env);
    cleanups.push(() => killBot(bot));
    await waitReady(port, bot, 90_000);

    expect((await driver.command(ALICE, CHANNEL, 'plan sandbox')).status).toBe(200);
    const card = await slack.waitFor(() => slack.topLevel(CHANNEL).find((m) => buttonsIn(m.blocks).some((b) => b.text === 'Approve')), 30_000, 'the plan card');
    expect((await driver.clickButton(BOB, { channel: CHANNEL, ts: card.ts }, 'Approve')).status).toBe(200);
    const cardText = () => blocksToText(slack.message(CHANNEL, card.ts)?.blocks).join('\n');
    await slack.waitFor(() => cardText().includes('Running') || undefined, 30_000, 'the running card');
    // From here on Slack holds this run's updates (one 429 with Retry-After 600 s).
    slack.rateLimit('chat.update', 1, 600);

    const db: Db = openDb(dbPath, { readonly: true });
    cleanups.push(() => closeDb(db));
    const state = () => (db.$client.prepare('SELECT state FROM runs').get() as { state: string } | undefined)?.state;
    await until('the final commit', 120_000, () => state() === 'succeeded', 10);
    // The held update went out (and got its 429) before the kill, so this bot's queue holds what follows, not the
    // restarted bot's first update.
    await until('the 429 on chat.update', 30_000, () => slack.callsTo('chat.update').some((c) => c.status === 429), 10);
    bot.child.kill('SIGKILL');
    expect(await bot.exited).toBe('SIGKILL');
    // What the issue saw: the card is still "Running" and no result was posted.
    expect(cardText()).toContain('Running');
    expect(cardText()).not.toContain('Succeeded');
    expect(slack.replies(CHANNEL, card.ts).filter((m) => m.reply_broadcast)).toHaveLength(0);

    bot = spawnBot(env);
    await waitReady(port, bot, 90_000);
    await slack.waitFor(() => cardText().includes('Succeeded') || undefined, 30_000, 'the card re-rendered by the restarted bot');
    await slack.waitFor(() => slack.replies(CHANNEL, card.ts).find((m) => m.reply_broadcast), 30_000, 'the final message');
    expect(bot.out()).toMatch(/run card behind the run after a restart/);

    // A further restart renders nothing again: the DB now says the card and the final message are current.
    const updatesBefore = slack.callsTo('chat.update').length;
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    bot = spawnBot(env);
    await waitReady(port, bot, 90_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(bot.out()).not.toMatch(/run card behind the run after a restart/);
    expect(slack.callsTo('chat.update')).toHaveLength(updatesBefore);
    expect(slack.replies(CHANNEL, card.ts).filter((m) => m.reply_broadcast)).toHaveLength(1);
  }, 400_000);
});
