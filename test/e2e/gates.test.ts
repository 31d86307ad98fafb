// Issue #12 items 4-6 end to end: the real Bolt app, the sandbox over HTTP, a real Prometheus and a real
// Alertmanager. A breaching SLO query after the canary rolls the run back; one that cannot be evaluated pauses it
// for an operator; a run started outside its window waits before changing anything; a firing blocking alert pauses
// it between batches until the alert resolves; the silences it made for each node's restart end up expired.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { blocksToText } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, E2e } from '../support/e2e-harness.js';
import { describeMonitoring, Monitoring } from './support/monitoring.js';

describeMonitoring('gates with a real Prometheus and Alertmanager', () => {
  let mon: Monitoring;
  let e: E2e;
  const now = new Date();
  // A one-hour window two hours from now (UTC): certainly closed while the test runs.
  const h = (now.getUTCHours() + 2) % 24;
  const closedHours = `${String(h).padStart(2, '0')}:00-${String((h + 1) % 24).padStart(2, '0')}:00`;

  beforeAll(async () => {
    mon = await Monitoring.start();
    const am = (block: string[], silence: string[]) => ({ url: mon.alertmanagerUrl, block, silence });
    e = await E2e.start({
      timing: { gateRecheckMs: 200 },
      clusters: [
        { name: 'slo-breach', yaml: { prometheus: { url: mon.prometheusUrl, checks: [{ name: 'errors', query: 'max(test_error_ratio)', max: 0.05 }] } } },
        { name: 'slo-unknown', yaml: { prometheus: { url: mon.prometheusUrl, checks: [{ name: 'latency', query: 'no_such_metric_seconds', max: 1 }] } } },
        { name: 'windowed', yaml: { window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], hours: closedHours, timeZone: 'UTC' } } },
        { name: 'alerting', yaml: { alertmanager: am(['alertname="ClusterOnFire"'], ['alertname="KubeProxyDown"', 'instance=~"{{node}}(:[0-9]+)?"']) } },
        // SLO checks on the sandbox kube-proxies' own metrics, scraped by the real Prometheus (node-endpoints.ts).
        { name: 'kp-slo', sandbox: { nodeEndpoints: true }, yaml: { prometheus: { url: mon.prometheusUrl, checks: [
          // Seconds since each kube-proxy's last sync, once it has synced (the gauge is 0 until the first sync).
          { name: 'sync-age', query: 'max(time() - (kubeproxy_sync_proxy_rules_last_timestamp_seconds > 0))', max: 120 },
        ] } } },
      ],
    });
    const kp = e.sandbox('kp-slo');
    await mon.scrapeKubeProxy(kp.nodeEndpointsUrl!, kp.cluster.nodes.map((n) => n.name));
  }, 120_000);
  afterAll(async () => { await e?.stop(); await mon?.stop(); });
  const cardText = (ts: string) => blocksToText(e.card(ts).blocks).join('\n');

  it('a query that breaches its threshold after the canary rolls the run back', async () => {
    mon.errorRatio = 0.5;
    await mon.scraped();
    const { card, runId } = await e.plan('plan slo-breach --batch 1');
    expect(cardText(card.ts)).toMatch(/Gates[\s\S]*errors[\s\S]*max\(test_error_ratio\)/);
    await e.click(BOB, card, 'Approve');
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('rolled_back');
    expect(done.reason).toMatch(/SLO gate failed: prometheus:errors: max\(test_error_ratio\) = 0\.5/);
    expect(e.configMapMode('slo-breach')).toBe('');
    const audit = e.audit(runId);
    expect(audit.find((a) => a.type === 'step.failed')?.payload['step']).toBe('slo:0');
    // The run never reached the next batch.
    expect(audit.some((a) => a.type === 'step.started' && a.payload['step'] === 'rollout:1')).toBe(false);
    expect(e.thread(card.ts).map((m) => m.text).join('\n')).toMatch(/SLO checks after the canary: .*prometheus:errors fail/);
    const metrics = await (await fetch(`http://127.0.0.1:${e.rt.port}/metrics`)).text();
    expect(metrics).toMatch(/ipvs_bot_gate_outcomes_total\{cluster="slo-breach",gate="prometheus:errors",outcome="fail"\} 1/);
  }, 120_000);

  it('a query that cannot be evaluated (no series) pauses the run for an operator', async () => {
    const { card, runId } = await e.plan('plan slo-unknown --batch 1');
    await e.click(BOB, card, 'Approve');
    const r = await e.waitRun(runId, ['waiting_operator', 'rolled_back', 'failed', 'succeeded'], 90_000);
    expect(r.state, r.reason).toBe('waiting_operator');
    expect(r.currentStep).toBe('slo:0');
    expect(r.reason ?? '').toMatch(/no_such_metric_seconds returned no series/);
    expect(r.waiting?.for).toBe('inconclusive');
    // The operator's Roll back (h-decide's Slack buttons call the same engine.decide).
    e.rt.engine.decide(runId, BOB, 'rollback');
    const end = await e.waitRun(runId, ['rolled_back', 'failed'], 90_000);
    expect(end.state, end.reason).toBe('rolled_back');
    expect(e.configMapMode('slo-unknown')).toBe('');
  }, 120_000);

  it('a run started outside its maintenance window waits before changing anything, and says why', async () => {
    const { card, runId } = await e.plan('plan windowed');
    expect(cardText(card.ts)).toMatch(new RegExp(`Maintenance window: every day ${closedHours} UTC`));
    await e.click(BOB, card, 'Approve');
    const paused = await e.slack.waitFor(() => {
      const s = e.run(runId);
      return s.paused?.startsWith('paused: outside the maintenance window') ? s : undefined;
    }, 30_000, 'the window pause');
    expect(paused.state).toBe('running');
    expect(paused.currentStep).toBe('gate:start');
    expect(paused.paused).toContain(`opens ${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(Date.now() + (h < now.getUTCHours() ? 86_400_000 : 0)).getUTCDay()]} ${String(h).padStart(2, '0')}:00 UTC`);
    await e.slack.waitFor(() => /Paused: outside the maintenance window, opens/.test(cardText(card.ts)) || undefined, 15_000, 'the card says paused');
    // Rechecked durably (a retry wait per look), and nothing touched the cluster.
    await e.slack.waitFor(() => e.audit(runId).filter((a) => a.type === 'step.retry_scheduled').length >= 2 || undefined, 15_000, 'rechecks');
    expect(e.audit(runId).some((a) => a.type === 'step.started' && a.payload['step'] === 'prepare-nodes')).toBe(false);
    expect(e.configMapMode('windowed')).toBe('');
    const seen = e.slack.ephemeralsFor(ALICE).length;
    await e.command(ALICE, 'status windowed');
    const status = await e.nextEphemeral(ALICE, seen, 'status');
    expect(JSON.stringify(status.blocks ?? status.text)).toMatch(/Paused: outside the maintenance window/);
    await e.command(ALICE, `cancel ${runId}`);
    const end = await e.waitRun(runId, ['rolled_back', 'cancelled', 'failed'], 60_000);
    expect(end.state).not.toBe('failed');
  }, 120_000);

  it('a firing blocking alert pauses the run between batches, it goes on once the alert resolves, and its silences end expired', async () => {
    const { card, runId } = await e.plan('plan alerting --batch 1');
    expect(cardText(card.ts)).toMatch(/alertname="ClusterOnFire"/);
    await e.click(BOB, card, 'Approve');
    // The canary's silence exists while it restarts: that is the moment to set the cluster on fire.
    const canary = e.run(runId).plan.rollout.canary;
    const mine = async () => (await mon.silences()).filter((s) => s.comment.includes(runId));
    for (let end = Date.now() + 60_000; !(await mine()).some((s) => s.comment.includes(`node ${canary}`));) {
      if (Date.now() > end) throw new Error('no silence for the canary');
      await new Promise((r) => setTimeout(r, 10));
    }
    const silence = (await mine()).find((s) => s.comment.includes(`node ${canary}`))!;
    expect(silence.createdBy).toBe('ipvs-bot');
    expect(silence.matchers.map((m) => `${m.name}=${m.value}`)).toEqual(['alertname=KubeProxyDown', `instance=${canary}(:[0-9]+)?`]);
    const fire = { alertname: 'ClusterOnFire', severity: 'critical' };
    await mon.postAlert(fire, new Date(Date.now() + 10 * 60_000));
    const paused = await e.slack.waitFor(() => {
      const s = e.run(runId);
      return s.paused?.includes('blocking alert ClusterOnFire firing') ? s : undefined;
    }, 60_000, 'the alert pause');
    expect(paused.currentStep).toMatch(/^gate:[12]$/);
    await e.slack.waitFor(() => /Paused: blocking alert ClusterOnFire firing/.test(cardText(card.ts)) || undefined, 15_000, 'the card says paused');
    // Resolved: an alert whose endsAt has passed is no longer active (Alertmanager API v2).
    await mon.postAlert(fire, new Date(Date.now() - 1_000));
    const done = await e.settle(runId, 90_000);
    expect(done.state, done.reason).toBe('succeeded');
    const all = await mine();
    const plan = e.run(runId).plan;
    expect(all.map((s) => /node (\S+):/.exec(s.comment)?.[1]).sort()).toEqual([plan.rollout.canary, ...plan.rollout.batches.flat()].sort());
    for (const s of all) expect(s.status.state, s.comment).toBe('expired');
  }, 180_000);

  it('SLO checks on the kube-proxies\' own metrics, scraped from the sandbox by the real Prometheus, pass after every batch', async () => {
    const nodes = e.sandbox('kp-slo').cluster.nodes.map((n) => n.name);
    const { card, runId } = await e.plan('plan kp-slo --batch 1');
    await e.click(BOB, card, 'Approve');
    const done = await e.settle(runId, 120_000);
    expect(done.state, done.reason).toBe('succeeded');
    expect(e.thread(card.ts).map((m) => m.text).join('\n')).toMatch(/SLO checks after the canary: .*prometheus:sync-age pass/);
    // Prometheus holds the sandbox kube-proxies' series, in upstream's names, one per node, and the mode switch shows
    // in them: after the migration no node exports the iptables-only rule gauge any more (kube-proxy-endpoints.ts).
    const q = async (query: string) => ((await (await fetch(`${mon.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data: { result: { metric: Record<string, string> }[] } }).data.result;
    expect((await q('kubeproxy_sync_proxy_rules_last_timestamp_seconds')).map((s) => s.metric['node']).sort()).toEqual([...nodes].sort());
    await eventually(async () => (await q('kubeproxy_sync_proxy_rules_iptables_total{table="nat"}')).length === 0, 30_000);
  }, 150_000);
});
/** Polls an async condition (bot-world.ts until() takes a synchronous one). */
async function eventually(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await cond()) return; await new Promise((r) => setTimeout(r, 250)); }
  throw new Error('condition not met in time');
}
