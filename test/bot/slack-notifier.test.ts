import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackNotifier } from '../../src/bot/app.js';
import type { SlackNotifier } from '../../src/bot/slack-notifier.js';
import { loadConfig } from '../../src/config.js';
import { SlackStandIn } from '../../src/slack-stand-in/slack-stand-in.js';
import { blocksToText } from '../../src/slack-stand-in/block-text.js';
import { PlanInput, type RunStatus } from '../../src/workflows/kube-proxy-mode/api.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createMetrics } from '../../src/metrics.js';
import { samplePlan } from '../fakes/fake-workflows.js';
import { MemoryLogger, YAML } from './harness.js';

const CH = 'C0OPS';

function status(runId: string, state: RunStatus['state'], step?: string, message?: { channel: string; ts: string }): RunStatus {
  const plan = samplePlan('cluster-a', PlanInput.parse({}));
  return { runId, cluster: 'cluster-a', kind: 'migrate', state, requester: 'U0REQ', approvals: [{ user: 'U0ALICE', at: plan.createdAt }],
    requiredApprovals: 1, plan, nodes: [], createdAt: plan.createdAt, updatedAt: plan.createdAt,
    ...(step ? { currentStep: step } : {}), ...(message ? { message } : {}) };
}

describe('src/bot/slack-notifier', () => {
  let slack: SlackStandIn;
  let clock: FakeClock;
  let logger: MemoryLogger;
  let n: SlackNotifier;
  let lookups: Map<string, RunStatus>;
  let metrics: ReturnType<typeof createMetrics>;

  async function postCard(): Promise<string> {
    const res = await fetch(`${slack.apiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: 'Bearer xoxb-test', 'content-type': 'application/json' }, body: JSON.stringify({ channel: CH, text: 'card' }) });
    return (await res.json() as { ts: string }).ts;
  }
  async function run(ms: number): Promise<void> { await n.flush(); await clock.advance(ms); await n.flush(); }

  beforeAll(async () => { slack = await SlackStandIn.start(); });
  afterAll(async () => { await slack.stop(); });
  beforeEach(() => {
    clock = new FakeClock();
    logger = new MemoryLogger();
    lookups = new Map();
    slack.clearFaults();
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: slack.apiUrl }, { text: YAML });
    metrics = createMetrics({ processMetrics: false });
    n = createSlackNotifier(config, { clock, logger, metrics, lookup: async (id) => lookups.get(id) });
  });

  it('coalesces state updates to at most one chat.update per second, ending on the latest status', async () => {
    const ts = await postCard();
    n.attach('r1', CH, ts);
    const before = slack.callsTo('chat.update').length;
    for (const step of ['prepare-nodes', 'snapshot', 'switch', 'rollout', 'rollout:batch-2']) n.notify({ type: 'state', runId: 'r1', status: status('r1', 'running', step) });
    await n.flush();
    expect(slack.callsTo('chat.update').length - before).toBe(1);
    await run(999);
    expect(slack.callsTo('chat.update').length - before).toBe(1);
    await run(1);
    expect(slack.callsTo('chat.update').length - before).toBe(2);
    expect(blocksToText(slack.message(CH, ts)?.blocks).join('\n')).toContain('step: rollout:batch-2');
    await run(5000);
    expect(slack.callsTo('chat.update').length - before).toBe(2);
  });

  it('posts node results to the thread in order and broadcasts the final result once', async () => {
    const ts = await postCard();
    n.attach('r2', CH, ts);
    n.notify({ type: 'node', runId: 'r2', node: 'worker-001', phase: 'prep', ok: true, result: { kernel: '5.15', modules: { ip_vs: 'loaded' } } });
    n.notify({ type: 'node', runId: 'r2', node: 'worker-001', phase: 'verify', ok: true, result: { proxyMode: 'ipvs', logExcerpt: 'Using ipvs Proxier' } });
    n.notify({ type: 'log', runId: 'r2', text: 'canary done' });
    n.notify({ type: 'state', runId: 'r2', status: status('r2', 'succeeded', 'finish') });
    n.notify({ type: 'state', runId: 'r2', status: status('r2', 'succeeded', 'finish') });
    await run(2000);
    const replies = slack.replies(CH, ts);
    // The first result goes out at once, alone; the second follows on its own, the log line is not merged into it.
    expect(replies.map((m) => m.text)).toEqual([
      expect.stringMatching(/^worker-001 prep ok: Kernel: 5.15/), expect.stringMatching(/^worker-001 verify ok: \/proxyMode: ipvs/),
      'canary done', expect.stringContaining('Succeeded: kube-proxy on *cluster-a* iptables → ipvs')]);
    expect(replies.filter((m) => m.reply_broadcast).length).toBe(1);
    expect(blocksToText(replies[1]!.blocks).join('\n')).toContain('Using ipvs Proxier');
  });

  it('a single waiting result gets the full detail; a backlog of results goes out ten to a reply, a failed node alone, in order', async () => {
    const ts = await postCard();
    n.attach('r5', CH, ts);
    const verify = (i: number, ok = true) => ({ type: 'node' as const, runId: 'r5', node: `worker-${String(i).padStart(3, '0')}`, phase: 'verify', ok,
      result: ok ? { proxyMode: 'ipvs', ipvsServices: 4, logExcerpt: 'I1207 server.go:1] "Using ipvs Proxier"' } : { proxyMode: 'iptables', errors: ['/proxyMode is iptables'] } });
    n.notify(verify(0));
    await n.flush();
    const alone = slack.replies(CH, ts);
    expect(alone).toHaveLength(1);
    expect(blocksToText(alone[0]!.blocks).join('\n')).toContain('Result JSON');

    slack.rateLimit('chat.postMessage', 1, 1); // the backlog builds up behind a 429
    for (let i = 1; i <= 24; i++) n.notify(verify(i, i !== 13));
    await run(1000);
    await run(0);
    const replies = slack.replies(CH, ts).slice(1);
    // 1-10, 11-12, 13 alone (failed), 14-23, 24
    expect(replies.map((m) => m.text.split('\n').length)).toEqual([10, 2, 1, 10, 1]);
    const names = replies.flatMap((m) => [...m.text.matchAll(/worker-\d{3}/g)].map((x) => x[0]));
    expect(names).toEqual(Array.from({ length: 24 }, (_, i) => `worker-${String(i + 1).padStart(3, '0')}`));
    expect(replies[2]!.text).toMatch(/^worker-013 verify FAILED/);
    expect(blocksToText(replies[2]!.blocks).join('\n')).toContain('Result JSON');
    const merged = blocksToText(replies[0]!.blocks).join('\n');
    expect(merged.match(/Using ipvs Proxier/g)).toHaveLength(10);
    expect(merged).toContain('10 node results');
    expect(n.backlog()).toBe(0);
  });

  it('respects 429 Retry-After without losing or reordering anything', async () => {
    const ts = await postCard();
    n.attach('r3', CH, ts);
    slack.rateLimit('chat.postMessage', 1, 3);
    for (let i = 0; i < 5; i++) n.notify({ type: 'log', runId: 'r3', text: `line ${i}` });
    await n.flush();
    expect(slack.replies(CH, ts)).toEqual([]);
    expect(n.backlog()).toBe(5);
    await run(2999);
    expect(slack.replies(CH, ts)).toEqual([]);
    await run(1);
    expect(slack.replies(CH, ts).map((m) => m.text)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    expect(n.backlog()).toBe(0);
    expect(logger.lines.some((l) => l.level === 'warn' && l.obj.retryAfterMs === 3000)).toBe(true);
    // A rate-limited card update is retried with the latest status too.
    slack.rateLimit('chat.update', 1, 2);
    n.notify({ type: 'state', runId: 'r3', status: status('r3', 'running', 'switch') });
    n.notify({ type: 'state', runId: 'r3', status: status('r3', 'running', 'rollout') });
    await run(2000);
    expect(blocksToText(slack.message(CH, ts)?.blocks).join('\n')).toContain('step: rollout');
    const text = await metrics.text();
    expect(text).toMatch(/ipvs_bot_slack_rate_limited_total\{method="chat.postMessage"\} 1\b/);
    expect(text).toMatch(/ipvs_bot_slack_rate_limited_total\{method="chat.update"\} 1\b/);
  });

  it('after a restart it finds the card through the run status and keeps updating the same message', async () => {
    const ts = await postCard();
    lookups.set('r4', status('r4', 'running', 'rollout', { channel: CH, ts }));
    n.notify({ type: 'node', runId: 'r4', node: 'worker-002', phase: 'verify', ok: false, result: { errors: ['no ipvs'] } });
    await run(0);
    await run(0);
    expect(slack.replies(CH, ts).map((m) => m.text)).toEqual([expect.stringContaining('worker-002 verify FAILED')]);
    n.notify({ type: 'state', runId: 'r4', status: status('r4', 'rolling_back', 'rollout', { channel: CH, ts }) });
    await run(1000);
    expect(blocksToText(slack.message(CH, ts)?.blocks).join('\n')).toContain('Rolling back');
    expect(slack.topLevel(CH).filter((m) => m.ts === ts).length).toBe(1);
  });
});
