// Memory of the bot as operators run it: a child process running src/main.ts (through tsx, so the loader's own
// memory is included), against a sandbox in a third process so the simulated cluster is not counted.
//   idle: 3-node sandbox, bot ready, 5 s without work → VmRSS (and VmHWM so far).
//   1,000-node migration: plan (--batch 25%) → approve → succeeded, with the default timing of `npm start`
//   (10 s settle per batch); peak = VmHWM of the bot process read from /proc/<pid>/status just before it stops.
// The bot gets the NODE_OPTIONS that deploy/deployment.yaml gives it (the V8 heap cap sized to the container's
// memory limit), so the figures are those of the bot as deployed.
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { SlackDriver, SlackStandIn, buttonsIn } from '../src/slack-stand-in/index.js';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const SECRET = 'bench-secret';
const CH = 'C0BENCH';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** BENCH_BOT_ENTRY=dist runs the compiled bot (`npm run build` first) like `npm start`, without tsx's loader. */
const BOT_ARGS = process.env.BENCH_BOT_ENTRY === 'dist' ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'];
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

/** NODE_OPTIONS of the bot's container in deploy/deployment.yaml ('' when it sets none). */
function deployedNodeOptions(): string {
  const doc = parse(readFileSync(join(ROOT, 'deploy/deployment.yaml'), 'utf8')) as
    { spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } } };
  const c = doc.spec.template.spec.containers.find((x) => x.name === 'ipvs-bot');
  return c?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}
const NODE_OPTIONS = deployedNodeOptions();

function status(pid: number): { rss: number; hwm: number } {
  const t = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}

const children: ChildProcess[] = [];
function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  c.stdout!.resume();
  children.push(c);
  return c;
}
async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

async function startSandbox(nodes: number, kubeconfig: string): Promise<ChildProcess> {
  const c = start(['--import', 'tsx', 'src/sandbox/cli.ts', '--nodes', String(nodes), '--kubeconfig', kubeconfig]);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('kubeconfig:')) resolve(); });
    c.once('exit', (code) => reject(new Error(`sandbox exited (${code})`)));
  });
  return c;
}

/**
 * Creates the node Jobs' namespace the way deploy/ does (privileged PSA label), so a dist/ build older than the
 * ensureJob namespace-race fix (test/e2e/jobs-namespace-race.test.ts) measures the same run.
 */
async function createJobsNamespace(kubeconfig: string): Promise<void> {
  const kc = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
  const res = await fetch(`${kc.clusters[0]!.cluster.server}/api/v1/namespaces`, {
    method: 'POST', headers: { authorization: `Bearer ${kc.users[0]!.user.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ipvs-bot-jobs', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } }),
  });
  if (res.status !== 201) throw new Error(`creating the Jobs namespace: HTTP ${res.status} ${await res.text()}`);
}

async function startBot(dir: string, kubeconfig: string, slack: SlackStandIn): Promise<{ bot: ChildProcess; port: number; dbPath: string }> {
  const port = await freePort();
  const cfg = join(dir, `bot-${port}.yaml`);
  writeFileSync(cfg, stringify({ logLevel: 'warn', clusters: [{ name: 'bench', kubeconfig, approvers: { users: [BOB] } }] }));
  const bot = start(BOT_ARGS, {
    SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl,
    IPVS_BOT_CONFIG: cfg, IPVS_BOT_DB: join(dir, `bot-${port}.db`), PORT: String(port), ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}),
  });
  const end = Date.now() + 60_000;
  for (;;) {
    try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break; } catch { /* starting */ }
    if (Date.now() > end || bot.exitCode !== null) throw new Error('the bot did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { bot, port, dbPath: join(dir, `bot-${port}.db`) };
}

class IdleOnly extends Error {}

const dir = mkdtempSync(join(tmpdir(), 'ipvs-bench-rss-'));
const slack = await SlackStandIn.start();
slack.addUser(ALICE, 'alice'); slack.addUser(BOB, 'bob'); slack.addChannel(CH, 'bench');
try {
  // --- idle, 3 nodes ---
  const small = await startSandbox(3, join(dir, 'kc-small'));
  const idle = await startBot(dir, join(dir, 'kc-small'), slack);
  await new Promise((r) => setTimeout(r, 5_000));
  const idleStatus = status(idle.bot.pid!);
  await stop(idle.bot);
  await stop(small);
  console.log(`bot: node ${BOT_ARGS.join(' ')}${NODE_OPTIONS ? ` with NODE_OPTIONS=${NODE_OPTIONS} (deploy/deployment.yaml)` : ''}`);
  console.log(`bot idle (3-node sandbox, 5 s after ready): VmRSS ${mb(idleStatus.rss)} (VmHWM so far ${mb(idleStatus.hwm)})`);

  // --- 1,000-node migration (BENCH_NODES=0: idle only) ---
  if (NODES === 0) throw new IdleOnly();
  const big = await startSandbox(NODES, join(dir, 'kc-big'));
  await createJobsNamespace(join(dir, 'kc-big'));
  const { bot, port, dbPath } = await startBot(dir, join(dir, 'kc-big'), slack);
  const runDb = new Database(dbPath, { readonly: true });
  const stepNow = (): string => (runDb.prepare('SELECT current_step AS s FROM runs ORDER BY created_at DESC LIMIT 1').get() as { s: string | null } | undefined)?.s ?? '-';
  await new Promise((r) => setTimeout(r, 2_000));
  const before = status(bot.pid!);
  const driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET, standIn: slack });
  const t0 = performance.now();
  const n0 = slack.topLevel(CH).length;
  await driver.command(ALICE, CH, 'plan bench --batch 25%');
  const card = await slack.waitFor(() => slack.topLevel(CH).slice(n0).find((m) => buttonsIn(m.blocks).some((b) => b.text === 'Approve')), 120_000, 'the plan card');
  await driver.clickButton(BOB, { channel: CH, ts: card.ts }, 'Approve');
  let peakSampled = 0;
  let peakStep = '-';
  // Which step the bot was in when its RSS peaked (read from its DB, WAL: no interference with its writes).
  const sampler = setInterval(() => {
    try {
      const rss = status(bot.pid!).rss;
      if (rss > peakSampled) { peakSampled = rss; peakStep = stepNow(); }
    } catch { /* exited */ }
  }, 250);
  // 5,000 nodes took 6-10 min here; 0.6 s per node leaves room for a loaded box before the bench gives up.
  const result = await slack.waitFor(() => slack.replies(CH, card.ts).find((m) => m.reply_broadcast), Math.max(900_000, NODES * 600), 'the run result');
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const after = status(bot.pid!);
  runDb.close();
  await stop(bot);
  await stop(big);
  if (!/Succeeded/.test(result.text)) console.log(`run did not succeed: ${result.text}`);
  console.log(`bot during a ${NODES}-node migration (plan → approve → "${result.text.split('\n')[0]!.replace(/^:[a-z_]+: /, '').slice(0, 60)}…", ${seconds.toFixed(0)} s, default timing, batch 25%):`);
  console.log(`  before the plan: VmRSS ${mb(before.rss)}; peak VmHWM ${mb(after.hwm)} (sampled VmRSS peak ${mb(peakSampled)} during step ${peakStep}); after: VmRSS ${mb(after.rss)}`);
} catch (e) {
  if (!(e instanceof IdleOnly)) throw e;
} finally {
  for (const c of children) await stop(c);
  await slack.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
