// Ack latency of the real Bolt app over HTTP: 50 concurrent signed slash commands, then 50 concurrent button
// clicks, against the Slack stand-in, with FakeWorkflows taking 200 ms per call after the ack (the work Kubernetes
// would do). The load generator runs in a worker thread so its own fetch/signing work does not share the app's
// event loop. Also: command sent → plan card posted for a 1,000-node plan (bot side: rendering + chat.postMessage).
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createApp } from '../src/bot/app.js';
import { loadConfig } from '../src/config.js';
import { SlackDriver } from '../src/slack-stand-in/slack-driver.js';
import { SlackStandIn } from '../src/slack-stand-in/slack-stand-in.js';
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

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const fmt = (x: number): string => `${x.toFixed(1)} ms`;

const yaml = `clusters:\n${Array.from({ length: N * ROUNDS + 1 }, (_, i) => `  - name: c${i}\n    approvers: { users: [U0ALICE] }\n`).join('')}`;
const slack = await SlackStandIn.start();
const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl }, { text: yaml });
const workflows = new FakeWorkflows(config.clusters);
workflows.delayMs = 200;
const bot = createApp({ config, workflows });
const { port } = await bot.start(0);
const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
const driver = new SlackDriver({ eventsUrl, signingSecret: SECRET, standIn: slack });
const worker = new Worker(LOADGEN, { eval: true });

function fire(bodies: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    worker.once('message', (rs: { ms: number; status: number }[]) => {
      const bad = rs.find((r) => r.status !== 200);
      if (bad) reject(new Error(`status ${bad.status}`)); else resolve(rs.map((r) => r.ms));
    });
    worker.postMessage({ url: eventsUrl, secret: SECRET, bodies });
  });
}

// Warm-up: JIT and keep-alive sockets on both paths.
await fire(Array.from({ length: N }, () => driver.commandBody('U0REQ', CH, 'help')));
await fire(Array.from({ length: N }, () => driver.commandBody('U0REQ', CH, 'plan nope')));

const cmd: number[] = [];
const click: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const base = round * N;
  cmd.push(...await fire(Array.from({ length: N }, (_, i) => driver.commandBody('U0REQ', CH, `plan c${base + i}`))));
  const cards = await slack.waitFor(() => {
    const runs = [...workflows.runs.values()].filter((r) => r.message && Number(r.cluster.slice(1)) >= base && Number(r.cluster.slice(1)) < base + N);
    return runs.length === N ? runs : undefined;
  }, 30_000, 'cards');
  click.push(...await fire(cards.map((r) => driver.clickBody('U0ALICE', r.message!, 'Approve'))));
  await slack.waitFor(() => cards.every((r) => workflows.runs.get(r.runId)?.state === 'running'), 30_000, 'approvals');
}

// Command sent → card posted, 1,000-node plan, FakeWorkflows answering at once (the bot's share of the 2 s target).
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

console.log(`ack latency: ${N} concurrent signed requests x ${ROUNDS} rounds (Bolt HTTPReceiver, Slack stand-in, workflows 200 ms after ack, load from a worker thread)`);
console.log(`  /ipvs plan (slash command): p50 ${fmt(pct(cmd, 50))}  p99 ${fmt(pct(cmd, 99))}  max ${fmt(Math.max(...cmd))}  (n=${cmd.length})`);
console.log(`  Approve (button click):     p50 ${fmt(pct(click, 50))}  p99 ${fmt(pct(click, 99))}  max ${fmt(Math.max(...click))}  (n=${click.length})`);
console.log(`  target p99 < 100 ms: ${pct(cmd, 99) < 100 && pct(click, 99) < 100 ? 'met' : 'NOT met'}`);
console.log(`command sent -> plan card posted, 1,000-node plan (bot side, workflows instant): median ${fmt(pct(cardTimes, 50))} (n=${cardTimes.length})`);
await worker.terminate();
await bot.stop();
await slack.stop();
