import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.js';

/** Value of one sample line `name{labels} value` in the exposition text, or undefined. */
function sample(text: string, nameWithLabels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${nameWithLabels} `));
  return line === undefined ? undefined : Number(line.slice(nameWithLabels.length + 1));
}

describe('src/metrics', () => {
  it('exposes every workflow metric with its labels after the calls that feed it', async () => {
    const m = createMetrics();
    m.runFinished('prod', 'migrate', 'succeeded');
    m.runFinished('prod', 'migrate', 'succeeded');
    m.runFinished('dev', 'rollback', 'failed');
    m.setRunStates([{ cluster: 'prod', state: 'awaiting_approval', count: 2 }, { cluster: 'dev', state: 'running', count: 1 }]);
    m.observeStep('ensure-config-mode', 0.3);
    m.observeStep('ensure-config-mode', 42);
    m.setPendingApprovals(2);
    m.k8sRequest('patch');
    m.k8sRequest('patch');
    m.k8sRequest('watch');
    m.k8sRequestError('patch', 'Conflict');
    m.slackApiError('chat.update');
    m.slackRateLimited('chat.postMessage');
    m.auditVerified(true, Date.UTC(2026, 0, 2, 3, 4, 5));

    const t = await m.text();
    expect(sample(t, 'ipvs_bot_runs_total{cluster="prod",kind="migrate",result="succeeded"}')).toBe(2);
    expect(sample(t, 'ipvs_bot_runs_total{cluster="dev",kind="rollback",result="failed"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_run_state{cluster="prod",state="awaiting_approval"}')).toBe(2);
    expect(sample(t, 'ipvs_bot_run_state{cluster="dev",state="running"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_step_duration_seconds_count{step="ensure-config-mode"}')).toBe(2);
    expect(sample(t, 'ipvs_bot_step_duration_seconds_sum{step="ensure-config-mode"}')).toBeCloseTo(42.3);
    expect(sample(t, 'ipvs_bot_step_duration_seconds_bucket{le="0.5",step="ensure-config-mode"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_step_duration_seconds_bucket{le="60",step="ensure-config-mode"}')).toBe(2);
    expect(sample(t, 'ipvs_bot_pending_approvals')).toBe(2);
    expect(sample(t, 'ipvs_bot_k8s_requests_total{verb="patch"}')).toBe(2);
    expect(sample(t, 'ipvs_bot_k8s_requests_total{verb="watch"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_k8s_request_errors_total{verb="patch",kind="Conflict"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_slack_api_errors_total{method="chat.update"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_slack_rate_limited_total{method="chat.postMessage"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_audit_chain_last_verify')).toBe(1);
    expect(sample(t, 'ipvs_bot_audit_chain_last_verify_timestamp_seconds')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
    expect(t).toContain('# TYPE ipvs_bot_runs_total counter');
    expect(t).toContain('# TYPE ipvs_bot_step_duration_seconds histogram');
  });

  it('setRunStates replaces the previous picture, and a broken chain reads 0', async () => {
    const m = createMetrics({ processMetrics: false });
    m.setRunStates([{ cluster: 'prod', state: 'running', count: 1 }]);
    m.setRunStates([{ cluster: 'prod', state: 'verifying', count: 1 }]);
    m.auditVerified(false);
    const t = await m.text();
    expect(sample(t, 'ipvs_bot_run_state{cluster="prod",state="running"}')).toBeUndefined();
    expect(sample(t, 'ipvs_bot_run_state{cluster="prod",state="verifying"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_audit_chain_last_verify')).toBe(0);
  });

  it('includes Node process metrics on its own registry and leaves the global registry empty', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.k8sRequest('get');
    const ta = await a.text();
    expect(ta).toContain('process_resident_memory_bytes');
    expect(ta).toContain('nodejs_eventloop_lag_seconds');
    expect(sample(await b.text(), 'ipvs_bot_k8s_requests_total{verb="get"}')).toBeUndefined();
    expect(await globalRegistry.metrics()).not.toContain('ipvs_bot_');
    expect(a.contentType).toMatch(/^text\/plain/);
  });

  it('runs scrape hooks before rendering, and a failing hook does not break the scrape', async () => {
    const m = createMetrics({ processMetrics: false });
    let pending = 0;
    m.onScrape(() => { throw new Error('db locked'); });
    m.onScrape(async () => { pending += 3; m.setPendingApprovals(pending); });
    expect(sample(await m.text(), 'ipvs_bot_pending_approvals')).toBe(3);
    expect(sample(await m.text(), 'ipvs_bot_pending_approvals')).toBe(6);
  });

  it('timeStep observes the elapsed time once the step ends', async () => {
    const m = createMetrics({ processMetrics: false });
    const end = m.timeStep('wait-rollout');
    await new Promise((r) => setTimeout(r, 20));
    const seconds = end();
    expect(seconds).toBeGreaterThan(0);
    const t = await m.text();
    expect(sample(t, 'ipvs_bot_step_duration_seconds_count{step="wait-rollout"}')).toBe(1);
    expect(sample(t, 'ipvs_bot_step_duration_seconds_sum{step="wait-rollout"}')).toBeCloseTo(seconds);
  });

  it('trackK8sRequests turns an adapter\'s cumulative counts into counter increments per scrape', async () => {
    const m = createMetrics({ processMetrics: false });
    const stats = { requests: { get: 3, list: 1, watch: 0 } as Record<string, number> };
    m.trackK8sRequests(() => stats);
    m.k8sRequest('get'); // direct calls add up with tracked ones
    let t = await m.text();
    expect(sample(t, 'ipvs_bot_k8s_requests_total{verb="get"}')).toBe(4);
    expect(sample(t, 'ipvs_bot_k8s_requests_total{verb="list"}')).toBe(1);
    stats.requests = { get: 5, list: 1, watch: 2 };
    t = await m.text();
    expect(sample(t, 'ipvs_bot_k8s_requests_total{verb="get"}')).toBe(6);
    expect(sample(t, 'ipvs_bot_k8s_requests_total{verb="watch"}')).toBe(2);
    stats.requests = { get: 1, list: 1, watch: 2 }; // adapter reset its stats, then made one request
    t = await m.text();
    expect(sample(t, 'ipvs_bot_k8s_requests_total{verb="get"}')).toBe(7);
  });
});
