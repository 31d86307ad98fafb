// Boots the real Bolt app (HTTP receiver on a free port) against the Slack stand-in, with FakeWorkflows.
import { loadConfig, type Config } from '../../src/config.js';
import { createApp, type BotApp, type BotDeps } from '../../src/bot/app.js';
import type { AuditEventInput } from '../../src/bot/context.js';
import { SlackStandIn } from '../../src/slack-stand-in/slack-stand-in.js';
import { SlackDriver } from '../../src/slack-stand-in/slack-driver.js';
import type { Logger } from '../../src/workflows/engine/ports.js';
import { FakeWorkflows } from '../fakes/fake-workflows.js';

export const SECRET = 'test-signing-secret';
export const CHANNEL = 'C0OPS';
export const USERS = { requester: 'U0REQ', alice: 'U0ALICE', bob: 'U0BOB', mallory: 'U0MAL', carol: 'U0CAROL' } as const;

export const YAML = `
clusters:
  - name: cluster-a
    approvers: { users: [U0ALICE, U0BOB, U0REQ] }
  - name: cluster-b
    approvers: { users: [U0ALICE, U0BOB] }
    requiredApprovals: 2
  - name: prod-eu
    production: true
    approvers: { users: [U0ALICE], usergroups: [S0SRE] }
  - name: locked-down
    approvers: { users: [U0ALICE] }
    channels: [C0PRIVATE]
`;

export interface LogLine { level: string; obj: Record<string, unknown>; msg?: string }

export class MemoryLogger implements Logger {
  readonly lines: LogLine[] = [];
  info(obj: Record<string, unknown>, msg?: string): void { this.lines.push({ level: 'info', obj, ...(msg ? { msg } : {}) }); }
  warn(obj: Record<string, unknown>, msg?: string): void { this.lines.push({ level: 'warn', obj, ...(msg ? { msg } : {}) }); }
  error(obj: Record<string, unknown>, msg?: string): void { this.lines.push({ level: 'error', obj, ...(msg ? { msg } : {}) }); }
  debug(): void {}
}

export interface Harness {
  slack: SlackStandIn; driver: SlackDriver; bot: BotApp; workflows: FakeWorkflows; config: Config;
  logger: MemoryLogger; audit: AuditEventInput[]; url: string; stop(): Promise<void>;
}

export async function startHarness(o: { yaml?: string; deps?: Partial<BotDeps> } = {}): Promise<Harness> {
  const slack = await SlackStandIn.start();
  for (const [name, id] of Object.entries(USERS)) slack.addUser(id, name);
  slack.addChannel(CHANNEL, 'ops');
  slack.addUsergroup('S0SRE', [USERS.carol]);
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl }, { text: o.yaml ?? YAML });
  const workflows = new FakeWorkflows(config.clusters);
  const logger = new MemoryLogger();
  const audit: AuditEventInput[] = [];
  const bot = createApp({ config, workflows, logger, audit: { record: (e) => { audit.push(e); } }, ...o.deps });
  const { port } = await bot.start(0);
  const url = `http://127.0.0.1:${port}`;
  const driver = new SlackDriver({ eventsUrl: `${url}/slack/events`, signingSecret: SECRET, standIn: slack });
  return { slack, driver, bot, workflows, config, logger, audit, url, async stop() { await bot.stop(); await slack.stop(); } };
}

/** Runs /ipvs plan and returns the card's location once it is posted. */
export async function planCard(h: Harness, cluster: string, user: string = USERS.requester, extra = ''): Promise<{ channel: string; ts: string; runId: string }> {
  const before = h.slack.topLevel(CHANNEL).length;
  const r = await h.driver.command(user, CHANNEL, `plan ${cluster}${extra}`);
  if (r.status !== 200) throw new Error(`plan ack ${r.status}`);
  const card = await h.slack.waitFor(() => h.slack.topLevel(CHANNEL)[before], 5_000, 'plan card');
  const runId = await h.slack.waitFor(() => [...h.workflows.runs.values()].find((x) => x.message?.ts === card.ts)?.runId, 5_000, 'attachMessage');
  return { channel: CHANNEL, ts: card.ts, runId };
}
