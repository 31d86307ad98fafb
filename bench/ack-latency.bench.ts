// Ack latency of the real Bolt app over HTTP and over Socket Mode: 50 concurrent slash commands, then 50
// concurrent button clicks, against the Slack stand-in, with FakeWorkflows taking 200 ms per call after the ack
// (the work Kubernetes would do). HTTP: signed POSTs to /slack/events, latency = request sent → response.
// Socket Mode: envelopes on the WebSocket, latency = envelope sent → ack with its envelope_id received. Either
// load generator runs in a worker thread so its own work does not share the app's event loop. Also: command
// sent → plan card posted for a 1,000-node plan (bot side: rendering + chat.postMessage).
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createApp } from '../src/bot/app.js';
import { loadConfig } from '../src/config.js';
import { SlackDriver } from '../src/slack-stand-in/slack-driver.js';
import { SlackStandIn } from '../src/slack-stand-in/slack-stand-in.js';
import type { BotApp } from '../src/bot/app.js';
import { FakeWorkflows } from '../test/fakes/fake-workflows.js';

const N = 50;
const ROUNDS = 5;
const SECRET = 'bench-secret';
const CH = 'C0BENCH';

// Signs each body at send time (like Slack) and fires them all at once; answers with the per-request latencies.
const LOADGEN = `
const { parentPort } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
parentPort.on('message', async ({ url, secret, bodies }) => {
  const one = async (body) => {
    const ts = Math.floor(Date.now() / 1000);
    const sig = 'v0=' + createHmac('sha256', secret).update('v0:' + ts + ':' + body).digest('hex');
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig } });
    await res.text();
    return { ms: performance.now() - t0, status: res.status };
  };
  parentPort.postMessage(await Promise.all(bodies.map(one)));
});`;

// Slack's side of Socket Mode for the bench: a ws server that says hello, sends a batch of envelopes at once and
// times each ack (envelope shapes as src/slack-stand-in/socket-mode.ts sends them).
const SOCKET_LOADGEN = `
const { parentPort } = require('node:worker_threads');
const { randomUUID } = require('node:crypto');
const { WebSocketServer } = require(${JSON.stringify(new URL('../node_modules/ws/index.js', import.meta.url).pathname)});
let sock;
const sent = new Map();
let batch;
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => parentPort.postMessage({ port: wss.address().port }));
wss.on('connection', (ws) => {
  sock = ws;
  ws.on('message', (d) => {
    const t = performance.now();
    const { envelope_id } = JSON.parse(String(d));
    const t0 = sent.get(envelope_id);
    if (t0 === undefined) return;
    sent.delete(envelope_id);
    batch.push(t - t0);
    if (sent.size === 0) parentPort.postMessage(batch);
  });
  ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0APP' } }));
  parentPort.postMessage({ connected: true });
});
parentPort.on('message', ({ envelopes }) => {
  batch = [];
  const frames = envelopes.map((e) => { const id = randomUUID(); return [id, JSON.stringify({ envelope_id: id, type: e.type, payload: e.payload, accepts_response_payload: e.type === 'slash_commands' })]; });
  for (const [id, f] of frames) { sent.set(id, performance.now()); sock.send(f); }
});`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const fmt = (x: number): string => `${x.toFixed(1)} ms`;

const yaml = `clusters:\n${Array.from({ length: N * ROUNDS + 1 }, (_, i) => `  - name: c${i}\n    approvers: { users: [U0ALICE] }\n`).join('')}`;
type Envelope = { type: 'slash_commands' | 'interactive'; payload: Record<string, unknown> };
interface Mode { name: string; bot: BotApp; slack: SlackStandIn; driver: SlackDriver; workflows: FakeWorkflows; fireCommands(texts: string[]): Promise<number[]>; fireClicks(cards: { channel: string; ts: string }[]): Promise<number[]>; close(): Promise<void> }

async function httpMode(): Promise<Mode> {
  const slack = await SlackStandIn.start();
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl }, { text: yaml });
  const workflows = new FakeWorkflows(config.clusters);
  const bot = createApp({ config, workflows });
  const { port } = await bot.start(0);
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  const driver = new SlackDriver({ eventsUrl, signingSecret: SECRET, standIn: slack });
  const worker = new Worker(LOADGEN, { eval: true });
  const fire = (bodies: string[]): Promise<number[]> => new Promise((resolve, reject) => {
    worker.once('message', (rs: { ms: number; status: number }[]) => {
      const bad = rs.find((r) => r.status !== 200);
      if (bad) reject(new Error(`status ${bad.status}`)); else resolve(rs.map((r) => r.ms));
    });
    worker.postMessage({ url: eventsUrl, secret: SECRET, bodies });
  });
  return {
    name: 'HTTP (HTTPReceiver, signed POST → response)', bot, slack, driver, workflows,
    fireCommands: (texts) => fire(texts.map((t) => driver.commandBody('U0REQ', CH, t))),
    fireClicks: (cards) => fire(cards.map((c) => driver.clickBody('U0ALICE', c, 'Approve'))),
    async close() { await worker.terminate(); await bot.stop(); await slack.stop(); },
  };
}

async function socketMode(): Promise<Mode> {
  const slack = await SlackStandIn.start();
  const worker = new Worker(SOCKET_LOADGEN, { eval: true });
  const port = await new Promise<number>((resolve) => worker.once('message', (m: { port: number }) => resolve(m.port)));
  const connected = new Promise<void>((resolve) => worker.once('message', () => resolve()));
  // apps.connections.open hands out the worker's socket (the stand-in's own is in this thread, like the app).
  slack.extraMethods.set('apps.connections.open', () => ({ status: 200, body: { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=bench` } }));
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_APP_TOKEN: 'xapp-1-bench', SLACK_API_URL: slack.apiUrl }, { text: yaml });
  const workflows = new FakeWorkflows(config.clusters);
  const bot = createApp({ config, workflows });
  await bot.start(0);
  await connected;
  const driver = new SlackDriver({ eventsUrl: 'unused', signingSecret: 'unused', standIn: slack });
  const fire = (envelopes: Envelope[]): Promise<number[]> => new Promise((resolve) => {
    worker.once('message', (ms: number[]) => resolve(ms));
    worker.postMessage({ envelopes });
  });
  return {
    name: 'Socket Mode (SocketModeReceiver, envelope → ack)', bot, slack, driver, workflows,
    fireCommands: (texts) => fire(texts.map((t) => ({ type: 'slash_commands', payload: driver.commandForm('U0REQ', CH, t) }))),
    fireClicks: (cards) => fire(cards.map((c) => ({ type: 'interactive', payload: driver.clickPayload('U0ALICE', c, 'Approve') }))),
    async close() { await bot.stop(); await worker.terminate(); await slack.stop(); },
  };
}

async function measure(m: Mode): Promise<{ cmd: number[]; click: number[] }> {
  const { workflows, slack } = m;
  workflows.delayMs = 200;
  // Warm-up: JIT and keep-alive sockets on both paths.
  await m.fireCommands(Array.from({ length: N }, () => 'help'));
  await m.fireCommands(Array.from({ length: N }, () => 'plan nope'));
  const cmd: number[] = [];
  const click: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const base = round * N;
    cmd.push(...await m.fireCommands(Array.from({ length: N }, (_, i) => `plan c${base + i}`)));
    const cards = await slack.waitFor(() => {
      const runs = [...workflows.runs.values()].filter((r) => r.message && Number(r.cluster.slice(1)) >= base && Number(r.cluster.slice(1)) < base + N);
      return runs.length === N ? runs : undefined;
    }, 30_000, 'cards');
    click.push(...await m.fireClicks(cards.map((r) => r.message!)));
    await slack.waitFor(() => cards.every((r) => workflows.runs.get(r.runId)?.state === 'running'), 30_000, 'approvals');
  }
  return { cmd, click };
}

// One mode at a time (the machine is shared); Socket Mode first, then HTTP, in the same process.
const results: { name: string; cmd: number[]; click: number[] }[] = [];
let cardLine = '';
for (const make of [socketMode, httpMode]) {
  const m = await make();
  results.push({ name: m.name, ...await measure(m) });
  if (make === httpMode) cardLine = await cardLatency(m);
  await m.close();
}
console.log(`ack latency: ${N} concurrent requests x ${ROUNDS} rounds per mode (Slack stand-in, workflows 200 ms after ack, load from a worker thread)`);
for (const r of results) {
  console.log(`  ${r.name}`);
  console.log(`    /ipvs plan (slash command): p50 ${fmt(pct(r.cmd, 50))}  p99 ${fmt(pct(r.cmd, 99))}  max ${fmt(Math.max(...r.cmd))}  (n=${r.cmd.length})`);
  console.log(`    Approve (button click):     p50 ${fmt(pct(r.click, 50))}  p99 ${fmt(pct(r.click, 99))}  max ${fmt(Math.max(...r.click))}  (n=${r.click.length})`);
  console.log(`    target p99 < 100 ms: ${pct(r.cmd, 99) < 100 && pct(r.click, 99) < 100 ? 'met' : 'NOT met'}`);
}
console.log(cardLine);

// Command sent → card posted, 1,000-node plan, FakeWorkflows answering at once (the bot's share of the 2 s target).
async function cardLatency(m: Mode): Promise<string> {
  const { workflows, slack, driver } = m;
  workflows.delayMs = 0;
  workflows.nodeCount = 1000;
  const cardTimes: number[] = [];
  const big = `c${N * ROUNDS}`;
  for (let i = 0; i < 7; i++) {
    for (const r of workflows.runs.values()) if (r.cluster === big) r.state = 'cancelled';
    const before = slack.topLevel(CH).length;
    const t0 = performance.now();
    await driver.command('U0REQ', CH, `plan ${big}`);
    await slack.waitFor(() => slack.topLevel(CH).length > before, 10_000, 'big card');
    cardTimes.push(performance.now() - t0);
  }
  return `command sent -> plan card posted, 1,000-node plan (HTTP, bot side, workflows instant): median ${fmt(pct(cardTimes, 50))} (n=${cardTimes.length})`;
}
