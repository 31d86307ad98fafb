// End-to-end harness: sandbox cluster(s) over HTTP + the Slack stand-in + the real runtime (config → SQLite file
// with the real migrations → K8sCluster → engine → Bolt app on a free port), driven with signed requests (HTTP
// mode) or with envelopes over the stand-in's Socket Mode (mode 'socket': SLACK_APP_TOKEN set, as deployed).
// The wiring follows src/demo/run-demo.ts; each cluster in the config gets its own sandbox.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import {
  SlackDriver, SlackSocketMode, SlackStandIn, buttonsIn, type DriverReply, type StoredEphemeral, type StoredMessage,
} from '../../src/slack-stand-in/index.js';
import type { RunState, RunStatus } from '../../src/workflows/kube-proxy-mode/api.js';
import type { Timing } from '../../src/workflows/kube-proxy-mode/deps.js';

export const ALICE = 'U0SREALICE';   // requester
export const BOB = 'U0SREBOB';       // approver
export const CAROL = 'U0SRECAROL';   // approver
export const MALLORY = 'U0MALLORY';  // in the workspace, not an approver
export const CHANNEL = 'C0PLATFORM';
export const SECRET = 'e2e-signing-secret';
export const BOT_TOKEN = 'xoxb-e2e-token';

export const TERMINAL: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided', 'waiting_operator']);

/** Short waits for the sandbox (its kubelet steps take milliseconds). */
export const E2E_TIMING: Partial<Timing> = { syncPollMs: 20, podReadyTimeoutMs: 20_000, jobTimeoutMs: 20_000, jobConcurrency: 10 };

export interface E2eCluster {
  name: string;
  sandbox?: SandboxOptions;
  /** Extra keys of this cluster's entry in ipvs-bot.yaml (requiredApprovals, approvalTtl, production, …). */
  yaml?: Record<string, unknown>;
}

/** How Slack reaches the bot: signed HTTP into /slack/events, or Socket Mode (the deployed default). */
export type SlackMode = 'http' | 'socket';
export const MODES: readonly SlackMode[] = ['http', 'socket'];

export interface E2eOptions { clusters?: E2eCluster[]; timing?: Partial<Timing>; mode?: SlackMode; ackTimeoutMs?: number }

/** The YAML entry of one cluster: approvers BOB and CAROL, one approval, 30 min window unless overridden. */
export function clusterYaml(name: string, kubeconfig: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, kubeconfig, approvers: { users: [BOB, CAROL] }, requiredApprovals: 1, approvalTtl: '30m', ...extra };
}

export function configText(clusters: Record<string, unknown>[]): string {
  return stringify({ clusters });
}

export class E2e {
  private constructor(
    readonly dir: string,
    readonly sandboxes: Map<string, Sandbox>,
    readonly slack: SlackStandIn,
    readonly rt: Runtime,
    readonly driver: SlackDriver,
    /** Socket Mode's side of the stand-in (mode 'socket'). */
    readonly socket: SlackSocketMode | undefined,
  ) {}

  get mode(): SlackMode { return this.socket ? 'socket' : 'http'; }

  static async start(opts: E2eOptions = {}): Promise<E2e> {
    const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-e2e-'));
    const sandboxes = new Map<string, Sandbox>();
    let slack: SlackStandIn | undefined;
    let socket: SlackSocketMode | undefined;
    try {
      const specs = opts.clusters ?? [{ name: 'sandbox' }];
      for (const c of specs) sandboxes.set(c.name, await startSandbox({ nodes: 3, stepMs: 5, ...c.sandbox }));
      slack = await SlackStandIn.start();
      for (const [id, name] of [[ALICE, 'alice'], [BOB, 'bob'], [CAROL, 'carol'], [MALLORY, 'mallory']] as const) slack.addUser(id, name);
      slack.addChannel(CHANNEL, 'platform-ops');
      if (opts.mode === 'socket') socket = await SlackSocketMode.attach(slack, opts.ackTimeoutMs ? { ackTimeoutMs: opts.ackTimeoutMs } : {});
      const config = loadConfig({
        SLACK_BOT_TOKEN: BOT_TOKEN, IPVS_BOT_DB: join(dir, 'ipvs-bot.db'), SLACK_API_URL: slack.apiUrl,
        ...(socket ? { SLACK_APP_TOKEN: socket.appToken } : { SLACK_SIGNING_SECRET: SECRET }),
      }, { text: configText(specs.map((c) => clusterYaml(c.name, sandboxes.get(c.name)!.kubeconfigPath, c.yaml))) });
      const rt = await startRuntime(config, {
        port: 0, logger: createLogger({ level: 'silent', destination: process.stderr }),
        timing: { ...E2E_TIMING, ...opts.timing }, ownerId: 'e2e',
        // The client's reconnect delay is its ping timeout (5 s by default); 1 s keeps reconnect tests short.
        socketMode: { clientPingTimeoutMs: 1_000 },
      });
      const driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${rt.port}/slack/events`, signingSecret: SECRET, standIn: slack, ...(socket ? { socket } : {}) });
      return new E2e(dir, sandboxes, slack, rt, driver, socket);
    } catch (e) {
      await socket?.stop().catch(() => {});
      await slack?.stop().catch(() => {});
      for (const s of sandboxes.values()) await s.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.rt.stop().catch(() => {});
    await this.socket?.stop().catch(() => {});
    await this.slack.stop().catch(() => {});
    for (const s of this.sandboxes.values()) await s.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  sandbox(name = 'sandbox'): Sandbox {
    const s = this.sandboxes.get(name);
    if (!s) throw new Error(`no sandbox ${name}`);
    return s;
  }

  // ---- Slack side ----

  command(user: string, text: string): Promise<DriverReply> { return this.driver.command(user, CHANNEL, text); }

  click(user: string, card: StoredMessage, label: string): Promise<DriverReply> {
    return this.driver.clickButton(user, { channel: CHANNEL, ts: card.ts }, label);
  }

  /** `/ipvs <text>` as `user`, then the card it posts (a new top-level message with buttons) and its run id. */
  async plan(text: string, user = ALICE): Promise<{ ack: DriverReply; card: StoredMessage; runId: string; digest: string }> {
    const before = this.slack.topLevel(CHANNEL).length;
    const ack = await this.command(user, text);
    const card = await this.slack.waitFor(() => this.slack.topLevel(CHANNEL).slice(before)
      .find((m) => buttonsIn(m.blocks).some((b) => b.text === 'Reject')), 30_000, `the card for "/ipvs ${text}"`);
    const ref = JSON.parse(buttonsIn(card.blocks).find((b) => b.text === 'Reject')?.value ?? '{}') as { r?: string; d?: string };
    if (!ref.r || !ref.d) throw new Error('the card carries no run reference');
    return { ack, card, runId: ref.r, digest: ref.d };
  }

  /** The next ephemeral answer to `user` after the `after`-th one. */
  async nextEphemeral(user: string, after: number, what = 'an ephemeral answer'): Promise<StoredEphemeral> {
    return this.slack.waitFor(() => this.slack.ephemeralsFor(user)[after], 15_000, `${what} to ${user}`);
  }

  /** The card as it is now. */
  card(ts: string): StoredMessage {
    const m = this.slack.message(CHANNEL, ts);
    if (!m) throw new Error(`no message ${ts}`);
    return m;
  }

  /** Thread replies of the card (node results, log lines, the broadcast result). */
  thread(ts: string): StoredMessage[] { return this.slack.replies(CHANNEL, ts); }

  // ---- engine side ----

  run(runId: string): RunStatus {
    const r = this.rt.engine.getRun(runId);
    if (!r) throw new Error(`no run ${runId}`);
    return r;
  }

  async waitRun(runId: string, states: ReadonlySet<RunState> | RunState[] = TERMINAL, timeoutMs = 60_000): Promise<RunStatus> {
    const want = states instanceof Set ? states : new Set(states);
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = this.rt.engine.getRun(runId);
      if (r && want.has(r.state)) return r;
      if (Date.now() > end) throw new Error(`run ${runId} is ${r?.state} (${r?.reason ?? ''}), expected ${[...want].join('|')}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  /** Waits for the run to end and for every Slack update it caused to be delivered (card at most 1/s). */
  async settle(runId: string, timeoutMs = 60_000): Promise<RunStatus> {
    const done = await this.waitRun(runId, TERMINAL, timeoutMs);
    const end = Date.now() + 10_000;
    while (this.rt.bot.notifier.backlog() > 0 && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    await this.rt.bot.notifier.flush();
    return done;
  }

  audit(runId?: string): { seq: number; actor: string; type: string; payload: Record<string, unknown> }[] {
    const rows = this.rt.db.$client.prepare(`SELECT seq, actor, type, payload FROM audit_events ${runId ? 'WHERE run_id = ?' : ''} ORDER BY seq`)
      .all(...(runId ? [runId] : [])) as { seq: number; actor: string; type: string; payload: string }[];
    return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  // ---- cluster side ----

  async kubeProxyLogs(cluster = 'sandbox'): Promise<Map<string, string>> {
    return kubeProxyLogs(this.sandbox(cluster));
  }

  configMapMode(cluster = 'sandbox'): string { return configMapMode(this.sandbox(cluster)); }

  kubeProxyPodUids(cluster = 'sandbox'): Map<string, string> {
    const pods = this.sandbox(cluster).store.list('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' }).items as PodObj[];
    return new Map(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => [p.spec?.nodeName ?? '', p.metadata.uid ?? '']));
  }
}

type PodObj = { metadata: { name: string; uid?: string; deletionTimestamp?: string }; spec?: { nodeName?: string } };

/** node → its current kube-proxy pod's log, read over the sandbox's HTTP API like kubectl logs. */
export async function kubeProxyLogs(sb: Sandbox): Promise<Map<string, string>> {
  const pods = (sb.store.list('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' }).items as PodObj[])
    .filter((p) => !p.metadata.deletionTimestamp);
  const out = new Map<string, string>();
  for (const p of pods) {
    const res = await fetch(`${sb.url}/api/v1/namespaces/kube-system/pods/${p.metadata.name}/log`, { headers: { authorization: `Bearer ${sb.token}` } });
    out.set(p.spec?.nodeName ?? p.metadata.name, await res.text());
  }
  return out;
}

/** `mode:` of config.conf in kube-system/kube-proxy; "" (iptables on Linux) when unset. */
export function configMapMode(sb: Sandbox): string {
  const cm = sb.store.get('configmaps', 'kube-system', 'kube-proxy') as { data?: Record<string, string> } | undefined;
  return /^mode:\s*"?([a-z]*)"?/m.exec(cm?.data?.['config.conf'] ?? '')?.[1] ?? '';
}

export function kubeProxyConfigText(sb: Sandbox): string {
  const cm = sb.store.get('configmaps', 'kube-system', 'kube-proxy') as { data?: Record<string, string> } | undefined;
  return cm?.data?.['config.conf'] ?? '';
}

/** A port nobody listens on right now (for a child bot's PORT). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Writes ipvs-bot.yaml for a child process; returns its path. */
export function writeConfigFile(dir: string, clusters: Record<string, unknown>[], name = 'ipvs-bot.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, configText(clusters));
  return path;
}
