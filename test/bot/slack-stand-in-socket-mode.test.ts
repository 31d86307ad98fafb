// The stand-in's Socket Mode against the real Bolt SocketModeReceiver (through SLACK_API_URL): token types as
// Slack checks them, hello, commands / clicks / events as envelopes answered by acks, redelivery of an envelope
// whose ack was lost (acted on once), disconnect and drop with reconnect, and a refused app token at start.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createApp, type BotApp } from '../../src/bot/app.js';
import { loadConfig } from '../../src/config.js';
import { SlackDriver, SlackSocketMode, SlackStandIn } from '../../src/slack-stand-in/index.js';
import { FakeWorkflows } from '../fakes/fake-workflows.js';
import { CHANNEL, MemoryLogger, USERS, YAML } from './harness.js';

interface SocketHarness { slack: SlackStandIn; socket: SlackSocketMode; bot: BotApp; driver: SlackDriver; workflows: FakeWorkflows; logger: MemoryLogger; url: string }

const stops: (() => Promise<void>)[] = [];
afterEach(async () => { while (stops.length) await stops.pop()!(); });

async function start(o: { appToken?: string; ackTimeoutMs?: number } = {}): Promise<SocketHarness> {
  const slack = await SlackStandIn.start();
  const socket = await SlackSocketMode.attach(slack, { ackTimeoutMs: o.ackTimeoutMs ?? 3_000 });
  stops.push(async () => { await socket.stop(); await slack.stop(); });
  for (const [name, id] of Object.entries(USERS)) slack.addUser(id, name);
  slack.addChannel(CHANNEL, 'ops');
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: o.appToken ?? socket.appToken, SLACK_API_URL: slack.apiUrl }, { text: YAML });
  const workflows = new FakeWorkflows(config.clusters);
  const logger = new MemoryLogger();
  // A short ping timeout makes the client's reconnect delay short too (delay = clientPingTimeout × failures).
  const bot = createApp({ config, workflows, logger, socketMode: { clientPingTimeoutMs: 1_000, retryMs: 60_000 } });
  const { port } = await bot.start(0);
  stops.push(() => bot.stop());
  const driver = new SlackDriver({ eventsUrl: 'unused', signingSecret: 'unused', standIn: slack, socket });
  return { slack, socket, bot, driver, workflows, logger, url: `http://127.0.0.1:${port}` };
}

const open = async (s: SlackStandIn, token?: string): Promise<Record<string, unknown>> => {
  const res = await fetch(`${s.apiUrl}apps.connections.open`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
  return await res.json() as Record<string, unknown>;
};

describe('src/slack-stand-in/socket-mode', () => {
  it('apps.connections.open takes only an app-level token, as Slack does; a URL is good for one connection', async () => {
    const slack = await SlackStandIn.start();
    const socket = await SlackSocketMode.attach(slack);
    stops.push(async () => { await socket.stop(); await slack.stop(); });
    expect(await open(slack)).toEqual({ ok: false, error: 'not_authed' });
    expect(await open(slack, 'xoxb-bot-token')).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await open(slack, 'xapp-1-someone-else')).toEqual({ ok: false, error: 'invalid_auth' });
    const ok = await open(slack, socket.appToken);
    expect(ok.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f-]+&app_id=A0APP$/);
    // The app token is no good for the Web API (Slack: not_allowed_token_type).
    const post = await fetch(`${slack.apiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${socket.appToken}`, 'content-type': 'application/json' }, body: '{"channel":"C1","text":"x"}' });
    expect(await post.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });

    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const ws = new WebSocket(ok.url as string);
      ws.once('message', (d: Buffer) => { resolve(JSON.parse(d.toString()) as Record<string, unknown>); ws.close(); });
      ws.once('error', reject);
    });
    expect(hello).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0APP' } });
    const second = await new Promise<string>((resolve) => {
      const ws = new WebSocket(ok.url as string);
      ws.once('open', () => resolve('opened'));
      ws.once('error', (e: Error) => resolve(e.message));
    });
    expect(second).toMatch(/401/);
  });

  it('the real SocketModeReceiver connects through SLACK_API_URL; commands, clicks and events arrive as envelopes and are acked', async () => {
    const h = await start();
    expect(h.slack.callsTo('apps.connections.open')).toHaveLength(1);
    expect(h.socket.connections).toBe(1);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${h.url}/slack/events`, { method: 'POST' })).status).toBe(404);

    const help = await h.driver.command(USERS.requester, CHANNEL, 'help');
    expect(help.status).toBe(200);
    const answer = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.requester)[0], 5_000, 'the help answer');
    expect(JSON.stringify(answer.blocks ?? answer.text)).toMatch(/plan/);
    const [cmd] = [...h.socket.deliveries.values()];
    expect(cmd).toMatchObject({ attempts: 1, settled: true, envelope: { type: 'slash_commands', accepts_response_payload: true } });

    const before = h.slack.topLevel(CHANNEL).length;
    await h.driver.command(USERS.requester, CHANNEL, 'plan cluster-a');
    const card = await h.slack.waitFor(() => h.slack.topLevel(CHANNEL)[before], 5_000, 'plan card');
    const runId = await h.slack.waitFor(() => [...h.workflows.runs.values()].find((r) => r.message?.ts === card.ts)?.runId, 5_000, 'run');
    const click = await h.driver.clickButton(USERS.alice, { channel: CHANNEL, ts: card.ts }, 'Approve');
    expect(click).toEqual({ status: 200, text: '' });
    await h.slack.waitFor(() => h.workflows.calls.some((c) => c.method === 'approve' && c.args[0] === runId), 5_000, 'approve call');
    const clickEnv = [...h.socket.deliveries.values()].find((d) => d.envelope.payload.type === 'block_actions');
    expect(clickEnv?.envelope.accepts_response_payload).toBe(false);

    // An Events API envelope (no listener in this app) is acked all the same; Bolt acks events before listeners.
    const ev = await h.socket.deliver('events_api', {
      type: 'event_callback', team_id: 'T0TEAM', api_app_id: 'A0APP', event_id: 'Ev0001', event_time: 1_700_000_000,
      event: { type: 'app_mention', user: USERS.alice, text: '<@U0BOT> hi', channel: CHANNEL, ts: '1700000000.000100', event_ts: '1700000000.000100' },
    });
    expect(ev.attempts).toBe(1);
    expect(h.socket.deliveries.get(ev.envelopeId)?.envelope).toMatchObject({ retry_attempt: 0, retry_reason: '' });
  });

  it('an envelope whose ack is lost is redelivered with retry_attempt/retry_reason and is not acted on twice', async () => {
    const h = await start({ ackTimeoutMs: 300 });
    h.socket.loseAcks(1);
    const before = h.slack.topLevel(CHANNEL).length;
    await h.driver.command(USERS.requester, CHANNEL, 'plan cluster-a');
    const d = [...h.socket.deliveries.values()][0]!;
    expect(d.attempts).toBe(2);
    expect(d.lostAcks).toBe(1);
    expect(d.envelope).toMatchObject({ retry_attempt: 1, retry_reason: 'timeout' });
    await h.slack.waitFor(() => h.slack.topLevel(CHANNEL)[before], 5_000, 'plan card');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.workflows.calls.filter((c) => c.method === 'plan')).toHaveLength(1);
    expect(h.slack.topLevel(CHANNEL).length - before).toBe(1);
    expect(h.logger.lines.some((l) => l.msg?.includes('redelivered an envelope already handled'))).toBe(true);
  });

  it('disconnect (refresh_requested, link_disabled) and a dropped connection: the client reconnects and a command sent meanwhile arrives once', async () => {
    const h = await start();
    for (const [i, cut] of ([() => h.socket.disconnect('refresh_requested'), () => h.socket.disconnect('link_disabled'), () => h.socket.drop()] as const).entries()) {
      cut();
      await h.slack.waitFor(() => h.socket.connections === 0, 5_000, 'the socket to close');
      const n = h.slack.ephemeralsFor(USERS.requester).length;
      const sent = h.driver.command(USERS.requester, CHANNEL, 'help');
      await h.socket.waitConnected(1, 15_000);
      await sent;
      await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.requester)[n], 5_000, 'the answer after reconnecting');
      expect(h.socket.hellos).toBe(i + 2);
    }
    expect(h.slack.callsTo('apps.connections.open')).toHaveLength(4);
    expect([...h.socket.deliveries.values()].every((d) => d.attempts === 1 && d.acks.length === 1)).toBe(true);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  });

  it('a refused app token: start() still serves health, /readyz 503 naming the error, one log line saying what to fix', async () => {
    const h = await start({ appToken: 'xapp-1-wrong' });
    const res = await fetch(`${h.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ slack: false, socketMode: 'failed', socketError: 'invalid_auth' });
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const line = h.logger.lines.find((l) => l.level === 'error' && l.msg?.includes('socket mode could not connect'));
    expect(line?.msg).toMatch(/invalid_auth.*SLACK_APP_TOKEN.*connections:write/);
    expect(h.socket.connections).toBe(0);
  });
});
