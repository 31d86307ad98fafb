// When the cluster is not what was approved, or a node fails after the switch, the channel is told the truth:
// an edit of the kube-proxy ConfigMap between plan and start voids the approvals (cluster untouched), and a
// kube-proxy crash-looping on one node after the switch rolls the run back automatically.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editKubeProxyConfig } from '../../src/sandbox/cluster-faults.js';
import { blocksToText } from '../../src/slack-stand-in/index.js';
import { BOB, E2e, kubeProxyConfigText } from '../support/e2e-harness.js';

let e: E2e;
beforeAll(async () => {
  e = await E2e.start({ clusters: [{ name: 'drift' }, { name: 'crashy' }] });
});
afterAll(async () => { await e?.stop(); });

const cardText = (ts: string) => blocksToText(e.card(ts).blocks).join('\n');
const jobsIn = (cluster: string) => e.sandbox(cluster).store.list('jobs', 'ipvs-bot-jobs').items.length;

describe('e2e: drift and node failure', () => {
  it('a ConfigMap edited behind the bot\'s back between plan and approval voids the run; the cluster is untouched', async () => {
    const sb = e.sandbox('drift');
    const { card, runId } = await e.plan('plan drift');
    editKubeProxyConfig(sb.store, (t) => t.replace('clusterCIDR: 10.244.0.0/16', 'clusterCIDR: 10.245.0.0/16'));
    const edited = kubeProxyConfigText(sb);
    expect(edited).toContain('10.245.0.0/16');
    const uids = e.kubeProxyPodUids('drift');

    await e.click(BOB, card, 'Approve');
    const run = await e.settle(runId);
    expect(run.state).toBe('voided');
    expect(run.reason).toMatch(/kube-proxy ConfigMap was edited/);
    expect(run.reason).toMatch(/approvals are void/);

    // The channel says so, with the reason (broadcast), and the card shows it.
    const broadcast = e.thread(card.ts).filter((m) => m.reply_broadcast);
    expect(broadcast).toHaveLength(1);
    expect(broadcast[0]!.text).toMatch(/Voided/);
    expect(broadcast[0]!.text).toMatch(/ConfigMap was edited/);
    expect(cardText(card.ts)).toMatch(/Voided/);
    expect(cardText(card.ts)).toMatch(/ConfigMap was edited/);

    // Untouched: the person's edit stands, no pod restarted, no node Job created, still iptables.
    expect(kubeProxyConfigText(sb)).toBe(edited);
    expect(e.configMapMode('drift')).toBe('');
    expect(e.kubeProxyPodUids('drift')).toEqual(uids);
    expect(jobsIn('drift')).toBe(0);
    const types = e.audit(runId).map((a) => a.type);
    expect(types).toContain('run.voided');
    expect(types.filter((t) => t === 'step.succeeded')).toEqual([]);
  });

  it('kube-proxy crash-looping on one node after the switch rolls the run back automatically and the channel says so', async () => {
    const sb = e.sandbox('crashy');
    const bad = 'k8s-worker-2';
    const before = kubeProxyConfigText(sb);
    sb.cluster.faults.crashKubeProxyOn(bad);
    const { card, runId } = await e.plan('plan crashy');
    // The node's problem is IPVS-specific: once the bot has seen it fail, kube-proxy would start again in iptables.
    const healer = setInterval(() => {
      const r = e.rt.engine.getRun(runId);
      if (r && (r.state === 'rolling_back' || r.nodes.some((n) => n.node === bad && n.ok === false))) sb.cluster.faults.crashKubeProxyOn(bad, false);
    }, 5);
    try {
      await e.click(BOB, card, 'Approve');
      const run = await e.settle(runId);
      expect(run.state, run.reason).toBe('rolled_back');
      expect(run.reason).toContain(bad);
    } finally {
      clearInterval(healer);
    }
    // Back where it started.
    expect(kubeProxyConfigText(sb)).toBe(before);
    for (const [node, log] of await e.kubeProxyLogs('crashy')) expect(log, node).toMatch(/Using iptables Proxier/);
    for (const n of sb.cluster.nodes) expect(sb.cluster.host(n.name).proxyMode, n.name).toBe('iptables');

    // The channel: a broadcast saying it was rolled back and why, the card too, the failing node in the thread.
    const thread = e.thread(card.ts);
    const broadcast = thread.filter((m) => m.reply_broadcast);
    expect(broadcast).toHaveLength(1);
    expect(broadcast[0]!.text).toMatch(/Rolled back/);
    expect(broadcast[0]!.text).toContain(bad);
    expect(cardText(card.ts)).toMatch(/Rolled back/);
    expect(thread.some((m) => m.text.includes(bad) && /:x:|fail/i.test(m.text))).toBe(true);
    expect(e.audit(runId).some((a) => a.type === 'step.failed' && JSON.stringify(a.payload).includes(bad))).toBe(true);
  });
});
