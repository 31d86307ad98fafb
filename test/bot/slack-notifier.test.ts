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

  it('a quiet thread: prep as one summary, one reply per node when it is done, one final message', async () => {
    const ts = await postCard();
    n.attach('r2', CH, ts);
    n.notify({ type: 'state', runId: 'r2', status: status('r2', 'running', 'prepare-nodes') });
    for (const w of ['worker-001', 'worker-002', 'worker-003']) n.notify({ type: 'node', runId: 'r2', node: w, phase: 'prep', ok: true, result: { kernel: '5.15', modules: { ip_vs: 'loaded' } } });
    n.notify({ type: 'log', runId: 'r2', text: 'Snapshot saved: config.conf at resourceVersion 7.' });
    n.notify({ type: 'log', runId: 'r2', text: 'config.conf now says mode ipvs.' });
    await run(2000);
    // Nothing yet: the summary waits for the first node to be done, so it can carry the switch notes too.
    expect(slack.replies(CH, ts)).toEqual([]);
    for (const w of ['worker-001', 'worker-002']) {
      n.notify({ type: 'node', runId: 'r2', node: w, phase: 'restarting', ok: true, result: { oldPod: { name: `kp-${w}-old`, uid: 'u' } } });
      n.notify({ type: 'node', runId: 'r2', node: w, phase: 'restarted', ok: true, result: { pod: { name: `kp-${w}-new`, uid: 'v' } } });
      n.notify({ type: 'node', runId: 'r2', node: w, phase: 'verified', ok: true, result: { mode: 'ipvs', errors: [], log: 'I1207 server.go:1] "Using ipvs Proxier"', verify: { proxyMode: 'ipvs', tcp: { target: '10.96.0.1:443', ok: true } } } });
      await run(1000);
    }
    n.notify({ type: 'log', runId: 'r2', text: 'kube-proxy runs in ipvs mode on all 2 node(s) of cluster-a.' });
    n.notify({ type: 'state', runId: 'r2', status: status('r2', 'succeeded', 'finish') });
    n.notify({ type: 'state', runId: 'r2', status: status('r2', 'succeeded', 'finish') });
    await run(2000);
    const replies = slack.replies(CH, ts);
    expect(replies.map((m) => m.text)).toEqual([
      'Prep finished: 3 of 3 node(s) ready (kernel modules loaded, sysctls set). Snapshot saved: config.conf at resourceVersion 7. config.conf now says mode ipvs.',
      expect.stringMatching(/^worker-001 switched and verified: kube-proxy: I1207 server.go:1\] "Using ipvs Proxier"; Restart: new kube-proxy pod kp-worker-001-new Ready; Verify: \/proxyMode ipvs; TCP 10\.96\.0\.1:443: connected\.$/),
      expect.stringMatching(/^worker-002 switched and verified: /),
      'Succeeded: kube-proxy on cluster-a iptables → ipvs (run r2). kube-proxy runs in ipvs mode on all 2 node(s) of cluster-a.',
    ]);
    expect(replies.filter((m) => m.reply_broadcast).length).toBe(1);
    expect(replies.every((m) => !JSON.stringify(m.blocks).includes('Result JSON'))).toBe(true);
    expect(n.backlog()).toBe(0);
  });

  it('a failed node gets its reply at once with the detail; a run stopped in prep posts the summary, then the final message', async () => {
    const ts = await postCard();
    n.attach('r6', CH, ts);
    n.notify({ type: 'node', runId: 'r6', node: 'worker-001', phase: 'prep', ok: true, result: { modules: { ip_vs: 'loaded' } } });
    n.notify({ type: 'node', runId: 'r6', node: 'worker-002', phase: 'prep', ok: false, result: { modules: { ip_vs: 'missing' }, errors: ['modprobe ip_vs: not found'] } });
    const stopped = { ...status('r6', 'rolled_back'), reason: 'Stopped before the switch: ip_vs is missing on worker-002', stepsStarted: ['approval', 'prepare-nodes'],
      nodes: [{ node: 'worker-001', phase: 'prep', ok: true }, { node: 'worker-002', phase: 'prep', ok: false }] };
    n.notify({ type: 'state', runId: 'r6', status: stopped });
    await run(2000);
    expect(slack.replies(CH, ts).map((m) => m.text)).toEqual([
      'Prep finished: 1 of 3 node(s) ready, 1 failed. Failed: worker-002 (modprobe ip_vs: not found).',
      'Stopped before the switch, nothing changed: kube-proxy on cluster-a iptables → ipvs (run r6). Reason: Stopped before the switch: ip_vs is missing on worker-002',
    ]);
    expect(blocksToText(slack.message(CH, ts)?.blocks).join('\n')).toContain('Stopped before the switch, nothing changed');
  });

  it('a backlog of done nodes goes out ten to a reply, a failed node alone, in order', async () => {
    const ts = await postCard();
    n.attach('r5', CH, ts);
    const verify = (i: number, ok = true) => ({ type: 'node' as const, runId: 'r5', node: `worker-${String(i).padStart(3, '0')}`, phase: 'verified', ok,
      result: ok ? { proxyMode: 'ipvs', ipvsServices: 4, logExcerpt: 'I1207 server.go:1] "Using ipvs Proxier"' } : { proxyMode: 'iptables', errors: ['/proxyMode is iptables'] } });
    n.notify(verify(0));
    await n.flush();
    expect(slack.replies(CH, ts)).toHaveLength(1);

    slack.rateLimit('chat.postMessage', 1, 1); // the backlog builds up behind a 429
    for (let i = 1; i <= 24; i++) n.notify(verify(i, i !== 13));
    await run(1000);
    await run(0);
    const replies = slack.replies(CH, ts).slice(1);
    // 1-10, 11-12, 13 alone (failed), 14-23, 24
    expect(replies.map((m) => m.text.split('\n').length)).toEqual([10, 2, 1, 10, 1]);
    const names = replies.flatMap((m) => [...m.text.matchAll(/worker-\d{3}/g)].map((x) => x[0]));
    expect(names).toEqual(Array.from({ length: 24 }, (_, i) => `worker-${String(i + 1).padStart(3, '0')}`));
    expect(replies[2]!.text).toMatch(/^worker-013 failed verification: Verify: \/proxyMode iptables; Errors: \/proxyMode is iptables\.$/);
    const merged = blocksToText(replies[0]!.blocks).join('\n');
    expect(merged.match(/Using ipvs Proxier/g)).toHaveLength(10);
    expect(merged).toContain('10 nodes done');
    expect(n.backlog()).toBe(0);
  });

  it('respects 429 Retry-After without losing or reordering anything', async () => {
    const ts = await postCard();
    n.attach('r3', CH, ts);
    slack.rateLimit('chat.postMessage', 1, 3);
    for (let i = 0; i < 5; i++) n.notify({ type: 'node', runId: 'r3', node: `w${i}`, phase: 'verified', ok: i % 2 === 0, result: { errors: i % 2 ? ['bad'] : [] } });
    await n.flush();
    expect(slack.replies(CH, ts)).toEqual([]);
    expect(n.backlog()).toBe(5);
    await run(2999);
    expect(slack.replies(CH, ts)).toEqual([]);
    await run(1);
    expect(slack.replies(CH, ts).map((m) => m.text.split(':')[0])).toEqual(['w0 switched and verified.', 'w1 failed verification', 'w2 switched and verified.', 'w3 failed verification', 'w4 switched and verified.']);
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
    expect(slack.replies(CH, ts).map((m) => m.text)).toEqual([expect.stringContaining('worker-002 failed verification')]);
    n.notify({ type: 'state', runId: 'r4', status: status('r4', 'rolling_back', 'rollout', { channel: CH, ts }) });
    await run(1000);
    expect(blocksToText(slack.message(CH, ts)?.blocks).join('\n')).toContain('Rolling back');
    expect(slack.topLevel(CH).filter((m) => m.ts === ts).length).toBe(1);
  });
});
