import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/metrics.js';
import { withRunMetrics } from '../src/metrics-notifier.js';
import type { RunEvent, RunStatus } from '../src/workflows/kube-proxy-mode/api.js';

function state(runId: string, st: RunStatus['state'], currentStep?: string): RunEvent {
  return { type: 'state', runId, status: { runId, cluster: 'c1', kind: 'migrate', state: st, ...(currentStep ? { currentStep } : {}) } as RunStatus };
}

describe('src/metrics-notifier', () => {
  it('counts a finished run once and observes step durations, passing every event on', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const seen: RunEvent[] = [];
    let t = 0;
    const n = withRunMetrics({ notify: (e) => { seen.push(e); } }, metrics, () => t);
    n.notify(state('r1', 'running', 'prepare-nodes'));
    t = 2500;
    n.notify(state('r1', 'running', 'switch'));
    t = 3000;
    n.notify(state('r1', 'succeeded'));
    n.notify(state('r1', 'succeeded'));
    const text = await metrics.text();
    expect(text).toMatch(/ipvs_bot_runs_total\{cluster="c1",kind="migrate",result="succeeded"\} 1\b/);
    expect(text).toMatch(/ipvs_bot_step_duration_seconds_sum\{step="prepare-nodes"\} 2\.5\b/);
    expect(seen).toHaveLength(4);
  });
});
