// Issue #11, what only Socket Mode has: the connection is Slack's to recycle or lose. A `disconnect` and a
// dropped connection during a rollout reconnect with no command lost or handled twice; an envelope whose ack was
// lost is redelivered and not acted on again; a refused app token gives the operator one clear line and /readyz 503.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { SlackSocketMode, SlackStandIn } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, BOT_TOKEN, CHANNEL, E2e, clusterYaml, freePort, writeConfigFile } from '../support/e2e-harness.js';
import { killBot, spawnBot } from './child-bot.js';

describe('e2e over socket: the connection comes and goes', () => {
  let e: E2e;
  // kube-proxy's first sync takes ~600 ms (150 ms × 4): the rollout lasts a few seconds, long enough to cut the
  // connection in the middle of it.
  beforeAll(async () => { e = await E2e.start({ mode: 'socket', ackTimeoutMs: 500, clusters: [{ name: 'sandbox', sandbox: { kubeProxySync: { factor: 4 } } }] }); });
  afterAll(async () => { await e?.stop(); });
  const socket = (): SlackSocketMode => e.socket!;

  it('disconnect (refresh_requested) and a drop mid-rollout: reconnects, the run finishes, every command is handled once', async () => {
    const { card, runId } = await e.plan('plan sandbox');
    const bobSaw = e.slack.ephemeralsFor(BOB).length;
    await e.click(BOB, card, 'Approve');
    await e.waitRun(runId, ['running']);

    socket().disconnect('refresh_requested');
    await e.slack.waitFor(() => socket().connections === 0, 5_000, 'the socket to close');
    // Sent while no connection is up: Slack holds it until the new connection's hello.
    const aliceSaw = e.slack.ephemeralsFor(ALICE).length;
    const status = e.command(ALICE, `status ${runId}`);
    await socket().waitConnected();
    await status;
    await e.slack.waitFor(() => e.slack.ephemeralsFor(ALICE)[aliceSaw], 15_000, 'the status answer');
    expect(e.run(runId).state).toBe('running');

    socket().drop();
    await socket().waitConnected();
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('succeeded');
    expect(socket().hellos).toBeGreaterThanOrEqual(3);

    // Once each: one run, one approval (and one "Approved" to BOB), one status answer, one card.
    expect(e.rt.engine.listRuns({ cluster: 'sandbox' }).map((r) => r.runId)).toEqual([runId]);
    expect(e.audit(runId).filter((a) => a.type === 'approval.recorded').map((a) => a.actor)).toEqual([BOB]);
    expect(e.slack.ephemeralsFor(BOB).slice(bobSaw).filter((x) => /Approved/.test(x.text))).toHaveLength(1);
    expect(e.slack.ephemeralsFor(ALICE).slice(aliceSaw)).toHaveLength(1);
    expect(e.slack.topLevel(CHANNEL).filter((m) => JSON.stringify(m.blocks ?? '').includes(runId))).toHaveLength(1);
    expect([...socket().deliveries.values()].map((d) => [d.envelope.type, d.attempts, d.acks.length])
      .every(([, attempts, acks]) => attempts === 1 && acks === 1)).toBe(true);
  });

  it('a plan and an Approve whose acks were lost are redelivered (retry_attempt 1, "timeout") and acted on once', async () => {
    const runsBefore = e.rt.engine.listRuns({ cluster: 'sandbox' }).length;
    socket().loseAcks(1);
    const { card, runId } = await e.plan('rollback sandbox');
    const planEnv = [...socket().deliveries.values()].filter((d) => d.envelope.type === 'slash_commands').at(-1)!;
    expect(planEnv).toMatchObject({ attempts: 2, lostAcks: 1, envelope: { retry_attempt: 1, retry_reason: 'timeout' } });

    const bobSaw = e.slack.ephemeralsFor(BOB).length;
    socket().loseAcks(1);
    await e.click(BOB, card, 'Approve');
    const clickEnv = [...socket().deliveries.values()].filter((d) => d.envelope.type === 'interactive').at(-1)!;
    expect(clickEnv).toMatchObject({ attempts: 2, lostAcks: 1, envelope: { retry_attempt: 1, retry_reason: 'timeout' } });
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('succeeded');
    expect(e.rt.engine.listRuns({ cluster: 'sandbox' })).toHaveLength(runsBefore + 1);
    expect(e.audit(runId).filter((a) => a.type === 'approval.recorded').map((a) => a.actor)).toEqual([BOB]);
    expect(e.slack.ephemeralsFor(BOB).slice(bobSaw)).toHaveLength(1);
  });
});

describe('e2e over socket: a refused app token', () => {
  let dir = '';
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-e2e-socket-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('the bot keeps running, logs which token to fix, /readyz answers 503 with the Slack error', async () => {
    const sb = await startSandbox({ nodes: 1, stepMs: 5 });
    const slack = await SlackStandIn.start();
    const socket = await SlackSocketMode.attach(slack);
    const port = await freePort();
    const bot = spawnBot({
      SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: 'xapp-1-revoked-or-from-another-app', SLACK_API_URL: slack.apiUrl,
      IPVS_BOT_CONFIG: writeConfigFile(dir, [clusterYaml('sandbox', sb.kubeconfigPath)]), IPVS_BOT_DB: join(dir, 'ipvs-bot.db'), PORT: String(port),
    });
    try {
      let ready: { status: number; body: Record<string, unknown> } | undefined;
      for (const end = Date.now() + 30_000; !ready && Date.now() < end;) {
        // Until the first connection attempt is over, readyz says "connecting"; wait for the verdict.
        try {
          const r = await fetch(`http://127.0.0.1:${port}/readyz`);
          const body = await r.json() as Record<string, unknown>;
          if (body.socketMode === 'failed') ready = { status: r.status, body };
        } catch { /* not listening yet */ }
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      if (!ready) throw new Error(`no readyz verdict:\n${bot.err()}\n${bot.out().slice(-2000)}`);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ slack: false, socketMode: 'failed', socketError: 'invalid_auth' });
      const lines = bot.out().split('\n').filter((l) => l.includes('socket mode could not connect'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ err: 'invalid_auth', method: 'apps.connections.open' });
      expect(lines[0]).toMatch(/SLACK_APP_TOKEN was refused.*xapp-.*connections:write/);
      expect(lines[0]).not.toContain('revoked-or-from-another-app');
      expect(bot.child.exitCode).toBeNull();
      expect(socket.connections).toBe(0);
    } finally {
      await killBot(bot);
      await socket.stop();
      await slack.stop();
      await sb.stop();
    }
  });
});
