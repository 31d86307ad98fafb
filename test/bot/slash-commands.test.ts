import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonsIn, blocksToText } from '../../src/slack-stand-in/block-text.js';
import { WorkflowError } from '../../src/workflows/kube-proxy-mode/api.js';
import { CHANNEL, planCard, startHarness, USERS, type Harness } from './harness.js';

describe('src/bot /ipvs over signed HTTP', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  it('answers help ephemerally in the ack with the usage', async () => {
    const r = await h.driver.command(USERS.requester, CHANNEL, 'help');
    expect(r.status).toBe(200);
    expect(r.json?.response_type).toBe('ephemeral');
    expect(JSON.stringify(r.json)).toContain('/ipvs plan &lt;cluster&gt; [--mode ipvs|iptables|nftables]');
    expect(h.workflows.calls.length).toBe(0);
  });

  it('answers an unknown subcommand with what was wrong and the usage, without calling the workflows', async () => {
    const calls = h.workflows.calls.length;
    const r = await h.driver.command(USERS.requester, CHANNEL, 'frobnicate now');
    expect(r.json?.response_type).toBe('ephemeral');
    expect(String(r.json?.text)).toMatch(/Unknown subcommand `frobnicate`/);
    expect(String(r.json?.text)).toMatch(/Usage: .*\/ipvs plan/s);
    expect(h.workflows.calls.length).toBe(calls);
  });

  it('refuses an unknown cluster and a channel the cluster does not allow, before any workflow call', async () => {
    const calls = h.workflows.calls.length;
    const a = await h.driver.command(USERS.requester, CHANNEL, 'plan nope');
    expect(String(a.json?.text)).toMatch(/don't know a cluster called `nope`.*cluster-a/);
    const b = await h.driver.command(USERS.requester, CHANNEL, 'plan locked-down');
    expect(String(b.json?.text)).toMatch(/only be managed from <#C0PRIVATE>/);
    expect(h.workflows.calls.length).toBe(calls);
  });

  it('acks plan with "Planning…" then posts the plan card with Approve and Reject found by their text', async () => {
    const r = await h.driver.command(USERS.requester, CHANNEL, 'plan cluster-a --scheduler wrr --batch 25%');
    expect(String(r.json?.text)).toMatch(/Planning/);
    const card = await h.slack.waitFor(() => h.slack.topLevel(CHANNEL).find((m) => m.text.includes('cluster-a')), 5000, 'card');
    const labels = buttonsIn(card.blocks).map((b) => b.text);
    expect(labels).toEqual(['Approve', 'Reject']);
    const text = blocksToText(card.blocks).join('\n');
    expect(text).toContain('kube-proxy iptables → ipvs');
    expect(text).toContain('0/1 approvals');
    expect(text).toContain('+  scheduler: "wrr"');
    const run = await h.slack.waitFor(() => [...h.workflows.runs.values()].find((x) => x.message?.ts === card.ts), 5000, 'attach');
    expect(run.plan.input.batch).toBe('25%');
    expect(run.plan.input.scheduler).toBe('wrr');
    // Clean up the lock for later tests.
    await h.workflows.cancel(run.runId, USERS.requester);
  });

  it('tells the person when the cluster is locked by another run (WorkflowError → ephemeral text)', async () => {
    const { runId } = await planCard(h, 'cluster-a');
    await h.driver.command(USERS.alice, CHANNEL, 'plan cluster-a');
    const e = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.alice).find((x) => x.via === 'response_url' && /busy/.test(x.text)), 5000, 'locked answer');
    expect(e.text).toContain(runId);
    await h.workflows.cancel(runId, USERS.requester);
  });

  it('answers an unreachable cluster with a helpful message and logs the detail', async () => {
    h.workflows.failNext = new WorkflowError('unreachable', 'cluster-b API server timed out');
    await h.driver.command(USERS.alice, CHANNEL, 'plan cluster-b');
    const e = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.alice).find((x) => /cannot reach the cluster/.test(x.text)), 5000, 'unreachable');
    expect(e.text).toContain('timed out');
    // An unreachable cluster is the operator's warning, not a bot error (issue #14 item 12: error is for our own faults).
    expect(h.logger.lines.some((l) => l.level === 'warn' && l.obj.what === 'plan')).toBe(true);
  });

  it('status lists active runs; clusters lists modes; cancel by the requester ends the run', async () => {
    const { runId } = await planCard(h, 'cluster-b');
    await h.driver.command(USERS.requester, CHANNEL, 'status');
    const st = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.requester).find((x) => x.via === 'response_url' && x.text.includes('run(s)')), 5000, 'status');
    expect(blocksToText(st.blocks).join('\n')).toContain(runId);
    await h.driver.command(USERS.requester, CHANNEL, 'clusters');
    const cl = await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.requester).find((x) => x.text.includes('prod-eu (production)')), 5000, 'clusters');
    expect(cl.text).toContain('cluster-a: kube-proxy mode iptables');
    await h.driver.command(USERS.mallory, CHANNEL, `cancel ${runId}`);
    await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.mallory).find((x) => /Only the requester or an approver/.test(x.text)), 5000, 'cancel refused');
    expect(h.workflows.runs.get(runId)?.state).toBe('awaiting_approval');
    await h.driver.command(USERS.requester, CHANNEL, `cancel ${runId}`);
    await h.slack.waitFor(() => h.slack.ephemeralsFor(USERS.requester).find((x) => x.text.includes('cancelled')), 5000, 'cancelled');
    expect(h.workflows.runs.get(runId)?.state).toBe('cancelled');
  });

  it('serves /healthz, /readyz (auth.test done) and /metrics', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ config: true, db: true, slack: true });
    expect(h.bot.botUserId()).toBe('U0BOT');
    expect((await fetch(`${h.url}/metrics`)).status).toBe(200);
    expect(h.slack.callsTo('auth.test').length).toBe(1);
  });
});
