// The whole workflow on the built-in sandbox: plan → approve (second user) → migrate → verify → rollback →
// audit export, driven through the real Bolt app with signed requests and a local Slack stand-in. Returns the
// channel transcript and what was checked in the cluster afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startRuntime, type Runtime } from '../runtime.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { startFleetSandboxes, type FleetSandboxes } from '../sandbox/fleet-sandboxes.js';
import { fleetDemo, FLEET_CHANNEL, FLEET_DEMO_PROFILES } from './fleet-demo.js';
import { SlackDriver, SlackSocketMode, SlackStandIn, buttonsIn, renderTranscript, type TranscriptVersions } from '../slack-stand-in/index.js';
import type { RunStatus } from '../workflows/kube-proxy-mode/api.js';

const REQUESTER = 'U0SREALICE';
const APPROVER = 'U0SREBOB';
const CHANNEL = 'C0PLATFORM';
const SECRET = 'demo-signing-secret';
const TERMINAL = new Set(['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided', 'waiting_operator']);

export interface DemoResult {
  ok: boolean; transcript: string; checks: { what: string; ok: boolean }[];
  /** The fleet part's channel (#fleet-ops): the fleet view and a two-wave run; absent with `fleet: false`. */
  fleetTranscript?: string;
}

export interface DemoOptions {
  nodes?: number;
  progress?: (line: string) => void;
  /** Cards as first posted and as finished (default), or every version (`--full`). */
  versions?: TranscriptVersions;
  /** Slack reaches the bot over Socket Mode (SLACK_APP_TOKEN, as deployed) instead of signed HTTP. */
  socketMode?: boolean;
  /** The fleet part (issue #13): two more simulated clusters, `/ipvs fleet` and a two-wave run (default on). */
  fleet?: boolean;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const say = opts.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-demo-'));
  const checks: { what: string; ok: boolean }[] = [];
  const check = (what: string, ok: boolean): void => { checks.push({ what, ok }); say(`${ok ? '✔' : '✘'} ${what}`); };
  let sandbox: Sandbox | undefined;
  let slack: SlackStandIn | undefined;
  let socket: SlackSocketMode | undefined;
  let rt: Runtime | undefined;
  let fleet: FleetSandboxes | undefined;
  const withFleet = opts.fleet ?? true;
  try {
    say(`starting the sandbox cluster (${opts.nodes ?? 3} nodes) and a local Slack stand-in…`);
    sandbox = await startSandbox({ nodes: opts.nodes ?? 3 });
    slack = await SlackStandIn.start();
    slack.addUser(REQUESTER, 'alice'); slack.addUser(APPROVER, 'bob'); slack.addChannel(CHANNEL, 'platform-ops');
    if (withFleet) {
      say('starting two more simulated clusters for the fleet part (dev-1: v1.35 in IPVS, prod-1: v1.28 in IPVS)…');
      fleet = await startFleetSandboxes(FLEET_DEMO_PROFILES, { base: { nodes: 2 } });
      slack.addChannel(FLEET_CHANNEL, 'fleet-ops');
    }
    if (opts.socketMode) socket = await SlackSocketMode.attach(slack);
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-demo-token', SLACK_API_URL: slack.apiUrl, IPVS_BOT_DB: join(dir, 'ipvs-bot.db'),
      ...(socket ? { SLACK_APP_TOKEN: socket.appToken } : { SLACK_SIGNING_SECRET: SECRET }),
    }, {
      text: [
        'clusters:',
        '  - name: sandbox',
        `    kubeconfig: ${JSON.stringify(sandbox.kubeconfigPath)}`,
        '    approvers:',
        `      users: [${APPROVER}]`,
        '    requiredApprovals: 1',
        '    approvalTtl: 30m',
        ...(fleet ? fleet.clusters.flatMap((c, i) => [
          `  - name: ${c.name}`, `    kubeconfig: ${JSON.stringify(fleet!.kubeconfigPath)}`, `    context: ${c.name}`,
          `    approvers: { users: [${APPROVER}] }`, '    requiredApprovals: 1', `    wave: ${i + 1}`,
        ]) : []),
      ].join('\n'),
    });
    rt = await startRuntime(config, {
      port: 0, logger: createLogger({ level: 'warn', destination: process.stderr }),
      timing: { syncPollMs: 100, podReadyTimeoutMs: 30_000, jobTimeoutMs: 60_000 },
      ownerId: 'demo',
    });
    const driver = new SlackDriver({ eventsUrl: `http://127.0.0.1:${rt.port}/slack/events`, signingSecret: SECRET, standIn: slack, ...(socket ? { socket } : {}) });
    if (socket) check(`Socket Mode: connected through apps.connections.open (${socket.connections} connection, hello received)`, socket.connections === 1 && socket.hellos === 1);
    const s = slack;
    const runtime = rt;

    const cardWith = async (button: string, after: number) => s.waitFor(() => s.topLevel(CHANNEL).slice(after)
      .find((m) => buttonsIn(m.blocks).some((b) => b.text === button)), 30_000, `a card with ${button}`);
    const finished = async (runId: string): Promise<RunStatus> => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const r = runtime.engine.getRun(runId);
        if (r && TERMINAL.has(r.state)) return r;
        if (Date.now() > deadline) throw new Error(`run ${runId} did not finish (state ${r?.state})`);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const kubeProxyLogs = async (): Promise<string[]> => {
      const pods = sandbox!.store.list('pods', 'kube-system', { labelSelector: 'k8s-app=kube-proxy' }).items;
      return Promise.all(pods.map(async (p) => {
        const res = await fetch(`${sandbox!.url}/api/v1/namespaces/kube-system/pods/${p.metadata.name}/log`, { headers: { authorization: `Bearer ${sandbox!.token}` } });
        return res.text();
      }));
    };

    for (const [label, command, expectLog, expectMode] of [
      ['migrate', 'plan sandbox --scheduler rr', 'Using ipvs Proxier', 'ipvs'],
      ['rollback', 'rollback sandbox', 'Using iptables Proxier', 'iptables'],
    ] as const) {
      say(`/ipvs ${command}  (as @alice)`);
      const before = s.topLevel(CHANNEL).length;
      const ack = await driver.command(REQUESTER, CHANNEL, command);
      check(`${label}: slash command acknowledged (${socket ? 'Socket Mode ack' : `HTTP ${ack.status}`})`, ack.status === 200);
      const card = await cardWith('Approve', before);
      say('@bob clicks Approve');
      const click = await driver.clickButton(APPROVER, { channel: CHANNEL, ts: card.ts }, 'Approve');
      check(`${label}: approval accepted (${socket ? 'Socket Mode ack' : `HTTP ${click.status}`})`, click.status === 200);
      const run = runtime.engine.listRuns({ cluster: 'sandbox', limit: 1 })[0];
      if (!run) throw new Error('no run was created');
      const done = await finished(run.runId);
      await runtime.bot.notifier.flush();
      check(`${label}: run ${done.runId} ended ${done.state}${done.reason ? ` (${done.reason})` : ''}`, done.state === 'succeeded');
      // A quiet thread (issue #15): one reply per node, plus the prep summary and the final message.
      const replies = s.replies(CHANNEL, card.ts).length;
      const nodes = done.plan.nodes.length;
      check(`${label}: ${replies} thread replies for ${nodes} nodes (at most one per node, plus the summary and the result)`, replies <= nodes + 2);
      const logs = await kubeProxyLogs();
      check(`${label}: every kube-proxy pod logs "${expectLog}" (${logs.length} pods)`, logs.length > 0 && logs.every((l) => l.includes(expectLog)));
      const cm = sandbox.store.get('configmaps', 'kube-system', 'kube-proxy') as { data?: Record<string, string> } | undefined;
      const mode = /^mode:\s*"?([a-z]*)"?/m.exec(cm?.data?.['config.conf'] ?? '')?.[1] ?? '';
      check(`${label}: ConfigMap mode is "${mode}"`, (mode || 'iptables') === expectMode);
    }

    say('/ipvs audit export sandbox --format jsonl');
    const filesBefore = s.files.size;
    await driver.command(REQUESTER, CHANNEL, 'audit export sandbox --format jsonl');
    const file = await s.waitFor(() => [...s.files.values()][filesBefore]?.content && [...s.files.values()][filesBefore], 30_000, 'the audit file');
    const lines = String(file.content ?? '').trim().split('\n');
    const manifest = JSON.parse(lines.at(-1) ?? '{}') as { type?: string; head?: string };
    check(`audit export: ${lines.length - 1} events uploaded as ${file.filename} with the chain head`, lines.length > 10 && manifest.type === 'manifest' && /^[0-9a-f]{64}$/.test(manifest.head ?? ''));
    say('/ipvs audit verify');
    await driver.command(REQUESTER, CHANNEL, 'audit verify');
    const verdict = await s.waitFor(() => s.topLevel(CHANNEL).map((m) => m.text).find((t) => /Audit chain (intact|BROKEN)/.test(t)), 30_000, 'the audit verify answer');
    check('audit verify: the hash chain is intact', /chain intact/i.test(verdict));
    await runtime.bot.notifier.flush();
    if (fleet) await fleetDemo({ slack: s, driver, runtime, fleet, requester: REQUESTER, approver: APPROVER, say, check });
    const versions = opts.versions ?? 'first-and-latest';
    return {
      ok: checks.every((c) => c.ok), transcript: renderTranscript(s, CHANNEL, { versions }), checks,
      ...(fleet ? { fleetTranscript: renderTranscript(s, FLEET_CHANNEL, { versions }) } : {}),
    };
  } finally {
    await rt?.stop().catch(() => {});
    await socket?.stop().catch(() => {});
    await slack?.stop().catch(() => {});
    await sandbox?.stop().catch(() => {});
    await fleet?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
