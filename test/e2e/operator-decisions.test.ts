// Issue #12 item 3 and #14 item 11 through Slack: a check that cannot tell pass from fail pauses the run, the card and
// the thread ask Continue / Roll back / Abort, approvers only, and with no answer the bot rolls back itself.
// The inconclusive case is the sandbox's kube-dns without endpoints (cluster-seed.ts dnsFailure 'no-endpoints': dig
// gets no answer, status 'timeout', while TCP to the kubernetes Service works).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksToText, buttonsIn, type StoredMessage } from '../../src/slack-stand-in/index.js';
import { BOB, CAROL, E2e, MALLORY } from '../support/e2e-harness.js';

let e: E2e;
const noDns = { dnsFailure: 'no-endpoints' as const };
beforeAll(async () => {
  e = await E2e.start({
    clusters: [
      { name: 'dns-continue', sandbox: noDns },
      { name: 'dns-rollback', sandbox: noDns },
      { name: 'dns-timeout', sandbox: noDns, yaml: { decisionTimeout: '3s' } },
      { name: 'dns-report', sandbox: noDns, yaml: { reportOnly: ['dns'] } },
      { name: 'stuck', sandbox: {} },
    ],
    timing: { podReadyTimeoutMs: 3_000 },
  });
});
afterAll(async () => { await e?.stop(); });

const cardText = (ts: string) => blocksToText(e.card(ts).blocks).join('\n');
const hasButton = (m: StoredMessage | undefined, label: string) => !!m && buttonsIn(m.blocks).some((b) => b.text === label);

/** Waits until the run is paused and its card shows the decision buttons (card updates are coalesced to 1/s). */
async function paused(card: StoredMessage, runId: string): Promise<void> {
  await e.waitRun(runId, ['waiting_operator']);
  await e.slack.waitFor(() => (hasButton(e.card(card.ts), 'Roll back') || hasButton(e.card(card.ts), 'Abort') ? true : undefined), 15_000, 'the decision buttons on the card');
}

describe('e2e: three-outcome checks and operator decisions', () => {
  it('an inconclusive DNS check pauses the run; a non-approver is refused; Continue accepts it and the run succeeds', async () => {
    const { card, runId } = await e.plan('plan dns-continue');
    await e.click(BOB, card, 'Approve');
    await paused(card, runId);
    const run = e.run(runId);
    expect(run.waiting?.for).toBe('inconclusive');
    expect(run.waiting?.step).toBe('verify:0');
    expect(run.waiting?.checks?.map((c) => c.name)).toEqual(['dns']);
    expect(cardText(card.ts)).toMatch(/inconclusive checks/);
    expect(cardText(card.ts)).toMatch(/dns/);
    // The thread asks too, with the same buttons.
    const ask = await e.slack.waitFor(() => e.thread(card.ts).find((m) => hasButton(m, 'Continue')), 15_000, 'the decision post in the thread');
    expect(ask.text).toMatch(/paused: inconclusive checks \(k8s-[a-z0-9-]+: dns\)/);

    const before = e.slack.ephemeralsFor(MALLORY).length;
    await e.click(MALLORY, card, 'Continue');
    expect((await e.nextEphemeral(MALLORY, before, 'the refusal')).text).toMatch(/Only an approver/);
    expect(e.run(runId).state).toBe('waiting_operator');

    // Every batch's DNS check is inconclusive on this cluster: Continue on the card for the first pause, the command
    // with a note for each later one.
    await e.click(BOB, card, 'Continue');
    const pauses = () => e.audit(runId).filter((a) => a.type === 'run.waiting_operator').length;
    const decided = () => e.audit(runId).filter((a) => a.type === 'operator.decision').length;
    for (let n = 2; n <= 5; n++) {
      const next = await e.slack.waitFor(() => (e.run(runId).state === 'succeeded' ? 'done'
        : pauses() === n && decided() === n - 1 && e.run(runId).state === 'waiting_operator' ? 'paused' : undefined), 30_000, `pause ${n}`);
      if (next === 'done') break;
      await e.command(CAROL, `decide ${runId} continue kube-dns is down <!channel> everywhere`);
    }
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('succeeded');
    expect(e.configMapMode('dns-continue')).toBe('ipvs');
    const decisions = e.audit(runId).filter((a) => a.type === 'operator.decision');
    expect(decisions[0]).toMatchObject({ actor: BOB, payload: { decision: 'continue', waitingFor: 'inconclusive' } });
    const thread = e.thread(card.ts).map((m) => m.text).join('\n');
    expect(thread).toContain(`<@${BOB}> chose *Continue*`);
    expect(decisions.length).toBeGreaterThan(1);
    {
      expect(decisions[1]).toMatchObject({ actor: CAROL, payload: { note: 'kube-dns is down <!channel> everywhere' } });
      // The note is escaped where it is posted: no @channel in the bot's name.
      expect(thread).toContain('kube-dns is down &lt;!channel&gt; everywhere');
      expect(thread).not.toContain('<!channel>');
    }
    expect(e.audit(runId).some((a) => a.type === 'step.inconclusive')).toBe(true);
  });

  it('Roll back undoes the switch', async () => {
    const { card, runId } = await e.plan('plan dns-rollback');
    await e.click(BOB, card, 'Approve');
    await paused(card, runId);
    await e.click(CAROL, card, 'Roll back');
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('rolled_back');
    expect(done.reason).toMatch(/Verification inconclusive .*dns.*rolled back by <@U0SRECAROL>/);
    expect(e.configMapMode('dns-rollback')).toBe('');
    expect(e.audit(runId).find((a) => a.type === 'operator.decision')).toMatchObject({ actor: CAROL, payload: { decision: 'rollback' } });
  });

  it('with no decision within decisionTimeout the bot rolls back itself', async () => {
    const { card, runId } = await e.plan('plan dns-timeout');
    await e.click(BOB, card, 'Approve');
    await e.waitRun(runId, ['waiting_operator']);
    const done = await e.waitRun(runId, ['rolled_back', 'failed', 'succeeded'], 30_000);
    expect(done.state, done.reason).toBe('rolled_back');
    expect(done.reason).toMatch(/no decision by the deadline, so ipvs-bot rolled back/);
    expect(e.audit(runId).find((a) => a.type === 'operator.decision')).toMatchObject({ actor: 'ipvs-bot', payload: { decision: 'rollback', timeout: true } });
    expect(e.configMapMode('dns-timeout')).toBe('');
  });

  it('a report-only check is reported but does not pause the run', async () => {
    const { card, runId } = await e.plan('plan dns-report');
    await e.click(BOB, card, 'Approve');
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('succeeded');
    expect(e.audit(runId).some((a) => a.type === 'run.waiting_operator')).toBe(false);
    const verified = e.audit(runId).filter((a) => a.type === 'node.verified');
    expect(verified.length).toBeGreaterThan(0);
    expect((verified[0]!.payload['result'] as Record<string, unknown>)['reportOnly']).toEqual([expect.stringMatching(/^dns inconclusive \(report-only\)/)]);
  });

  it('a run whose rollback step fails waits for an operator (compensation-failed); Continue from the card retries it', async () => {
    // kube-proxy crash-loops on one node in every mode: verify fails, and putting that node back fails too.
    const bad = 'k8s-worker-1';
    const sb = e.sandbox('stuck');
    sb.cluster.faults.crashKubeProxyOn(bad);
    const { card, runId } = await e.plan('plan stuck');
    await e.click(BOB, card, 'Approve');
    const waiting = await e.waitRun(runId, ['waiting_operator'], 60_000);
    expect(waiting.waiting?.for).toBe('compensation-failed');
    await e.slack.waitFor(() => (hasButton(e.card(card.ts), 'Continue') ? true : undefined), 15_000, 'Continue on the card');
    expect(hasButton(e.card(card.ts), 'Roll back')).toBe(false);
    sb.cluster.faults.crashKubeProxyOn(bad, false);
    await e.click(CAROL, card, 'Continue');
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('rolled_back');
    expect(e.audit(runId).find((a) => a.type === 'operator.decision')).toMatchObject({ actor: CAROL, payload: { decision: 'continue', waitingFor: 'compensation-failed' } });
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).proxyMode, n.name).toBe('iptables');
  });
});
