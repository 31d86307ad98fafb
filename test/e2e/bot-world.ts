// What every child-process bot test sets up: a sandbox, the Slack stand-in with its users and channel, a temp dir
// with the config and DB, a free port and a signed-request driver; everything is registered in `cleanups`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { SlackDriver, SlackStandIn } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, BOT_TOKEN, CHANNEL, SECRET, clusterYaml, freePort, writeConfigFile } from '../support/e2e-harness.js';

export type Cleanups = (() => Promise<void> | void)[];

export interface BotWorld {
  sb: Sandbox;
  slack: SlackStandIn;
  dir: string;
  dbPath: string;
  port: number;
  /** The bot's environment (HTTP mode, the stand-in's Web API, config and DB in `dir`). */
  env: Record<string, string>;
  driver: SlackDriver;
}

export async function botWorld(cleanups: Cleanups, o: { sandbox: SandboxOptions; dirPrefix: string }): Promise<BotWorld> {
  const sb = await startSandbox(o.sandbox);
  cleanups.push(() => sb.stop());
  const slack = await SlackStandIn.start();
  cleanups.push(() => slack.stop());
  slack.addUser(ALICE, 'alice'); slack.addUser(BOB, 'bob'); slack.addChannel(CHANNEL, 'platform-ops');
  const dir = mkdtempSync(join(tmpdir(), o.dirPrefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'ipvs-bot.db');
  const port = await freePort();
  const env = {
    SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl,
    IPVS_BOT_CONFIG: writeConfigFile(dir, [clusterYaml('sandbox', sb.kubeconfigPath)]), IPVS_BOT_DB: dbPath, PORT: String(port),
  };
  const driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET, standIn: slack });
  return { sb, slack, dir, dbPath, port, env, driver };
}

/** Polls f until it returns something truthy, or fails naming what it waited for. */
export async function until<T>(what: string, timeoutMs: number, f: () => T | undefined | false, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
