// Issue #12 item 2 through Slack: the prep Jobs read each node's running kube-proxy /metrics (the sandbox serves them in
// upstream's format, kube-proxy-endpoints.ts; counters from v1.31 as in CHANGELOG-1.31 PRs #125015 / #122812) and the
// run card shows the live pre-flight per node and summed. Localhost NodePort packets before leaving iptables mode pause
// the run for an approver (the plan they approved did not show it); report-only makes it a warning. A later plan of
// the cluster shows the last reading on its card before the approval.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksToText, buttonsIn, type StoredMessage } from '../../src/slack-stand-in/index.js';
import { BOB, E2e } from '../support/e2e-harness.js';

let e: E2e;
const v131 = {
  kubernetesVersion: 'v1.31.4',
  kubeProxyCounters: [{ node: 1, localhostNodePortPackets: 1_234_567 }, { node: 2, ctStateInvalidDrops: 17 }],
};
beforeAll(async () => {
  e = await E2e.start({
    clusters: [
      { name: 'lh', sandbox: v131 },
      { name: 'lh-report', sandbox: v131, yaml: { reportOnly: ['localhost-nodeports'] } },
      { name: 'nft', sandbox: v131 },
      { name: 'old', sandbox: {} },
    ],
  });
});
afterAll(async () => { await e?.stop(); });

const cardText = (ts: string) => blocksToText(e.card(ts).blocks).join('\n');
const hasButton = (m: StoredMessage | undefined, label: string) => !!m && buttonsIn(m.blocks).some((b) => b.text === label);
const nodeName = (cluster: string, i: number) => e.sandbox(cluster).cluster.nodes[i]!.name;

describe('e2e: live pre-flight from the nodes\' kube-proxy metrics', () => {
  it('localhost NodePort packets pause an IPVS migration before the switch; the card shows them per node and summed; Continue goes on', async () => {
    const { card, runId } = await e.plan('plan lh');
    // The plan card itself cannot know yet: nothing has run on the nodes before the approval.
    expect(cardText(card.ts)).not.toMatch(/Live pre-flight/);
    await e.click(BOB, card, 'Approve');
    await e.waitRun(runId, ['waiting_operator']);
    const run = e.run(runId);
    expect(run.waiting).toMatchObject({ for: 'inconclusive', step: 'prepare-nodes' });
    expect(run.waiting?.checks?.map((c) => c.name)).toEqual(['localhost-nodeports']);
    const worker = nodeName('lh', 1);
    expect(run.preflight?.localhostNodePorts).toEqual({ total: 1_234_567, count: 1, nodes: [{ node: worker, value: 1_234_567 }] });
    // Nothing changed yet: the ConfigMap still says iptables ('' on kubeadm).
    expect(e.configMapMode('lh')).not.toBe('ipvs');
    await e.slack.waitFor(() => (cardText(card.ts).includes('Live pre-flight') && hasButton(e.card(card.ts), 'Continue') ? true : undefined), 15_000, 'the live pre-flight on the card');
    const text = cardText(card.ts);
    expect(text).toContain(`localhost NodePort packets: 1,234,567 on 1 node(s): ${worker} 1,234,567`);
    expect(text).toMatch(/IPVS mode does not serve NodePorts on localhost/);
    expect(text).toMatch(/sync duration: \d+ ms on average/);
    expect(text).toMatch(/iptables rules owned by kube-proxy: [\d,]+/);
    await e.click(BOB, card, 'Continue');
    const done = await e.settle(runId, 90_000);
    expect(done.state, done.reason).toBe('succeeded');
    expect(e.configMapMode('lh')).toBe('ipvs');
    const decision = e.audit(runId).find((a) => a.type === 'operator.decision');
    expect(decision?.payload).toMatchObject({ decision: 'continue', waitingFor: 'inconclusive' });
    // Each node's wait for its restarted kube-proxy's first sync is in /metrics (all three synced).
    const metrics = await (await fetch(`http://127.0.0.1:${e.rt.port}/metrics`)).text();
    expect(metrics).toMatch(/ipvs_bot_kube_proxy_first_sync_wait_seconds_count\{cluster="lh",outcome="synced"\} 3/);
  });

  it('report-only: the same finding is a warning on the card, the run does not pause', async () => {
    const { card, runId } = await e.plan('plan lh-report');
    await e.click(BOB, card, 'Approve');
    const done = await e.settle(runId, 90_000);
    expect(done.state, done.reason).toBe('succeeded');
    expect(e.audit(runId).some((a) => a.type === 'run.waiting_operator')).toBe(false);
    await e.slack.waitFor(() => (cardText(card.ts).includes('Live pre-flight') ? true : undefined), 15_000, 'the live pre-flight on the card');
    expect(cardText(card.ts)).toMatch(/:warning: \*localhost-nodeports\*: kube-proxy accepted 1,234,567 packets/);
  });

  it('nftables target: conntrack-invalid drops suggest conntrack.tcpBeLiberal, the nft versions are listed', async () => {
    const { card, runId } = await e.plan('plan nft --mode nftables');
    await e.click(BOB, card, 'Approve');
    await e.waitRun(runId, ['waiting_operator']);
    const p = e.run(runId).preflight!;
    expect(p.ctStateInvalidDrops).toEqual({ total: 17, count: 1, nodes: [{ node: nodeName('nft', 2), value: 17 }] });
    expect(p.checks.find((c) => c.id === 'live-ct-invalid')?.message).toMatch(/conntrack\.tcpBeLiberal: true/);
    expect(Object.values(p.nftVersions ?? {}).reduce((a, b) => a + b, 0)).toBe(e.run(runId).plan.nodes.length);
    // Paused for the localhost NodePorts too (nftables mode does not serve them either); Abort ends it unchanged.
    expect(e.run(runId).waiting?.checks?.map((c) => c.name)).toEqual(['localhost-nodeports']);
    await e.slack.waitFor(() => (hasButton(e.card(card.ts), 'Abort') ? true : undefined), 15_000, 'the decision buttons on the card');
    await e.click(BOB, card, 'Abort');
    expect((await e.waitRun(runId)).state).toBe('failed');
    expect(e.configMapMode('nft')).not.toBe('nftables');
    // The next plan of this cluster shows the last reading on the card itself, before anyone approves, with the warning.
    const again = await e.plan('plan nft --mode nftables');
    const planText = cardText(again.card.ts);
    expect(planText).toMatch(new RegExp(`Live pre-flight\\* \\(kube-proxy's /metrics on 3 node\\(s\\), as run \`${runId}\`'s prep Jobs read it`));
    expect(planText).toMatch(/:warning: \*localhost-nodeports\*: kube-proxy accepted 1,234,567 packets .*nftables mode does not serve NodePorts on localhost/);
    expect(planText).toMatch(/This run's own prep Jobs read it again before the switch/);
    expect(e.run(again.runId).plan.livePreflight?.fromRun).toBe(runId);
    await e.click(BOB, again.card, 'Reject');
  });

  it('kube-proxy 1.28 exports no such counters: said so, no pause', async () => {
    const { card, runId } = await e.plan('plan old');
    await e.click(BOB, card, 'Approve');
    const done = await e.settle(runId, 90_000);
    expect(done.state, done.reason).toBe('succeeded');
    expect(done.preflight?.localhostNodePorts).toBeNull();
    expect(done.preflight?.checks.find((c) => c.id === 'localhost-nodeports')?.message).toMatch(/kube-proxy 1\.28 exports no localhost NodePort counter/);
  });
});
