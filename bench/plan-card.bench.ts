// Time from the slash command's ack to the plan card in the channel, for a 1,000-node cluster, with the real
// runtime (Bolt app → Workflows → K8sCluster over HTTP → plan → chat.postMessage to the Slack stand-in). The
// sandbox runs in its own process (`npm run sandbox`) so the bot's event loop is not shared with the simulated
// cluster. Median of 5 (each plan is cancelled before the next; the first is a warm-up and not counted).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startRuntime } from '../src/runtime.js';
import { SlackDriver, SlackStandIn, buttonsIn } from '../src/slack-stand-in/index.js';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const RUNS = 5;
const SECRET = 'bench-secret';
const CH = 'C0BENCH';
const ALICE = 'U0ALICE';
const ROOT = fileURLToPath(new URL('../', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'ipvs-bench-plan-card-'));
const kubeconfig = join(dir, 'kubeconfig');
const sandbox = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts', '--nodes', String(NODES), '--kubeconfig', kubeconfig], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
let sandboxOut = '';
await new Promise<void>((resolve, reject) => {
  sandbox.stdout!.on('data', (c: Buffer) => { sandboxOut += c.toString(); if (sandboxOut.includes('kubeconfig:')) resolve(); });
  sandbox.once('exit', (code) => reject(new Error(`sandbox exited (${code})`)));
});

const slack = await SlackStandIn.start();
slack.addUser(ALICE, 'alice');
slack.addChannel(CH, 'bench');
const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, IPVS_BOT_DB: join(dir, 'bot.db') }, {
  text: stringify({ clusters: [{ name: 'big', kubeconfig, approvers: { users: ['U0BOB'] } }] }),
});
const rt = await startRuntime(config, { port: 0, logger: createLogger({ level: 'silent' }), ownerId: 'bench' });
const driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${rt.port}/slack/events`, signingSecret: SECRET, standIn: slack });

const ackMs: number[] = [];
const cardMs: number[] = [];
try {
  for (let i = 0; i <= RUNS; i++) {
    const before = slack.topLevel(CH).length;
    const t0 = performance.now();
    const ack = await driver.command(ALICE, CH, 'plan big --batch 10%');
    const tAck = performance.now();
    if (ack.status !== 200) throw new Error(`ack ${ack.status}`);
    const card = await slack.waitFor(() => slack.topLevel(CH).slice(before).find((m) => buttonsIn(m.blocks).some((b) => b.text === 'Approve')), 120_000, 'the plan card');
    const tCard = performance.now();
    const runId = (JSON.parse(buttonsIn(card.blocks).find((b) => b.text === 'Approve')!.value!) as { r: string }).r;
    if (i > 0) { ackMs.push(tAck - t0); cardMs.push(tCard - tAck); }
    await rt.workflows.cancel(runId, ALICE);
  }
  const planned = rt.engine.listRuns({ cluster: 'big', limit: 1 })[0]!;
  console.log(`plan card for a ${planned.plan.nodes.length}-node sandbox (real runtime, sandbox in another process), ${RUNS} runs after a warm-up:`);
  console.log(`  slash command → ack (HTTP 200):      median ${ms(median(ackMs))}  [${ackMs.map(ms).join(', ')}]`);
  console.log(`  ack → plan card (chat.postMessage):  median ${ms(median(cardMs))}  [${cardMs.map(ms).join(', ')}]`);
} finally {
  await rt.stop();
  await slack.stop();
  sandbox.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
