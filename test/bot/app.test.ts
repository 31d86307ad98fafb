import { afterEach, describe, expect, it } from 'vitest';
import { SocketModeReceiver } from '@slack/bolt';
import { createApp, type BotApp } from '../../src/bot/app.js';
import { loadConfig } from '../../src/config.js';
import { SlackStandIn } from '../../src/slack-stand-in/slack-stand-in.js';
import { FakeWorkflows } from '../fakes/fake-workflows.js';
import { MemoryLogger, YAML } from './harness.js';

describe('src/bot/app createApp', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => { for (const f of cleanup.splice(0)) await f(); });

  async function boot(o: { authFails?: boolean; health?: () => boolean; metrics?: string } = {}): Promise<{ bot: BotApp; url: string; logger: MemoryLogger; slack: SlackStandIn }> {
    const slack = await SlackStandIn.start();
    if (o.authFails) slack.failMethod('auth.test', 'invalid_auth');
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-t', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: slack.apiUrl }, { text: YAML });
    const logger = new MemoryLogger();
    const bot = createApp({ config, workflows: new FakeWorkflows(config.clusters), logger,
      ...(o.health ? { health: o.health } : {}), ...(o.metrics !== undefined ? { metrics: { text: () => o.metrics! } } : {}) });
    const { port } = await bot.start(0);
    cleanup.push(async () => { await bot.stop(); await slack.stop(); });
    return { bot, url: `http://127.0.0.1:${port}`, logger, slack };
  }

  it('readyz is 503 while auth.test fails (logged, no token in the log) and when the DB check fails', async () => {
    const a = await boot({ authFails: true });
    const r = await fetch(`${a.url}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ config: true, db: true, slack: false });
    expect(a.logger.lines.some((l) => l.level === 'error' && /auth.test failed/.test(l.msg ?? ''))).toBe(true);
    expect(JSON.stringify(a.logger.lines)).not.toContain('xoxb-t');
    const b = await boot({ health: () => false });
    expect((await fetch(`${b.url}/readyz`)).status).toBe(503);
  });

  it('healthz is 200 while the DB is writable and 503 when it is not', async () => {
    let writable = true;
    const a = await boot({ health: () => writable });
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    writable = false;
    const r = await fetch(`${a.url}/healthz`);
    expect(r.status).toBe(503);
    expect(await r.text()).toMatch(/not writable/);
  });

  it('serves the metrics hook text and 404s unknown paths', async () => {
    const a = await boot({ metrics: 'ipvs_bot_up 1\n' });
    const m = await fetch(`${a.url}/metrics`);
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await m.text()).toBe('ipvs_bot_up 1\n');
    expect((await fetch(`${a.url}/nope`)).status).toBe(404);
  });

  it('uses Socket Mode when SLACK_APP_TOKEN is set (no signing secret needed)', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-t', SLACK_APP_TOKEN: 'xapp-1-t', PORT: '39999' }, { text: YAML });
    const bot = createApp({ config, workflows: new FakeWorkflows(config.clusters) });
    expect(bot.receiver).toBeInstanceOf(SocketModeReceiver);
  });
});
