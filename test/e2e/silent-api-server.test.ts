// Issue #14 item 9: an API server that accepts connections and never answers. Configured as one cluster next to a
// healthy sandbox, with IPVS_BOT_K8S_TIMEOUT=1s: `/ipvs plan` on it answers "did not answer within 1s" (it used to
// take ~150 s: five 30 s tries), `/ipvs clusters` shows the healthy one and marks the silent one unreachable, and
// `ipvs-bot doctor` finishes (it used to hang: version() had no timeout) with a failing check for it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SlackDriver, SlackStandIn } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, BOT_TOKEN, CHANNEL, SECRET, clusterYaml, freePort, writeConfigFile } from '../support/e2e-harness.js';
import { killBot, spawnBot, waitReady, type ChildBot } from './child-bot.js';

const ROOT = join(import.meta.dirname, '..', '..');
const cleanups: (() => Promise<void> | void)[] = [];
let sb: Sandbox;
let slack: SlackStandIn;
let dir: string;
let configPath: string;
let env: Record<string, string>;
let bot: ChildBot | undefined;
let driver: SlackDriver;

/** Accepts every connection and never writes a byte (a hung apiserver, a black-holing proxy). */
async function silentServer(): Promise<string> {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }));
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-e2e-silent-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  sb = await startSandbox({ nodes: 2, stepMs: 5 });
  cleanups.push(() => sb.stop());
  slack = await SlackStandIn.start();
  cleanups.push(() => slack.stop());
  slack.addUser(ALICE, 'alice'); slack.addUser(BOB, 'bob'); slack.addChannel(CHANNEL, 'platform-ops');
  const server = await silentServer();
  const silentKubeconfig = join(dir, 'silent.kubeconfig');
  writeFileSync(silentKubeconfig, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: silent, cluster: {server: "${server}"}}]`,
    'users: [{name: u, user: {token: not-used}}]',
    'contexts: [{name: silent, context: {cluster: silent, user: u}}]',
    'current-context: silent', '',
  ].join('\n'));
  configPath = writeConfigFile(dir, [clusterYaml('healthy', sb.kubeconfigPath), clusterYaml('silent', silentKubeconfig)]);
  const port = await freePort();
  env = {
    SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl,
    IPVS_BOT_CONFIG: configPath, IPVS_BOT_DB: join(dir, 'ipvs-bot.db'), PORT: String(port), IPVS_BOT_K8S_TIMEOUT: '1s',
  };
  bot = spawnBot(env);
  cleanups.push(() => killBot(bot));
  await waitReady(port, bot);
  driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET, standIn: slack });
}, 60_000);

afterAll(async () => { while (cleanups.length) await cleanups.pop()!(); });

describe('e2e: a silent API server (accepts, never answers)', () => {
  it('/ipvs plan on it answers that the API server did not answer within the bound', async () => {
    expect((await driver.command(ALICE, CHANNEL, 'plan silent')).status).toBe(200);
    // The wait is the test's bound, not a timing assertion: the old code answered only after ~150 s.
    const e = await slack.waitFor(() => slack.ephemeralsFor(ALICE).find((x) => /did not answer/.test(x.text)), 20_000, 'the plan answer');
    expect(e.text).toContain('I could not reach silent: the API server did not answer within 1s');
  }, 30_000);

  it('/ipvs clusters shows the healthy cluster and marks the silent one unreachable', async () => {
    expect((await driver.command(BOB, CHANNEL, 'clusters')).status).toBe(200);
    const e = await slack.waitFor(() => slack.ephemeralsFor(BOB).find((x) => x.text.includes('healthy:')), 20_000, 'the clusters list');
    expect(e.text).toContain('healthy: kube-proxy mode iptables');
    expect(e.text).toMatch(/silent: :warning: unreachable \(I could not reach silent: the API server did not answer within 1s/);
  }, 30_000);

  it('ipvs-bot doctor finishes with a failing check for the silent cluster, the healthy one passing', async () => {
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'doctor'], {
        cwd: ROOT, timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', HOME: dir, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, IPVS_BOT_CONFIG: configPath, IPVS_BOT_DB: join(dir, 'doctor.db'), IPVS_BOT_K8S_TIMEOUT: '1s' },
      }, (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout }));
    });
    expect(r.code, r.stdout).toBe(1);
    const rows = r.stdout.split('\n');
    expect(rows.filter((l) => /^healthy\s/.test(l) && /\bFAIL\b/.test(l)), r.stdout).toEqual([]);
    expect(rows.some((l) => /^healthy\s/.test(l) && /\bPASS\b/.test(l)), r.stdout).toBe(true);
    expect(rows.some((l) => /^silent\s/.test(l) && /\bFAIL\b/.test(l) && /did not answer within 1s/.test(l)), r.stdout).toBe(true);
  }, 70_000);
});
