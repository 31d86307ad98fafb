import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { statusCommand } from '../../../src/cli/status.js';
import { PlanInput } from '../../../src/workflows/kube-proxy-mode/api.js';
import { FakeCluster } from '../../fixtures/builders/fake-cluster.js';
import { aCluster } from '../../fixtures/builders/cluster-facts.js';
import { kpmHarness } from './harness.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => { await close?.(); close = undefined; });

function run(argv: string[], db: Parameters<typeof statusCommand>[1]['db']) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => { text += c.toString(); });
  const code = statusCommand(argv, { db, out });
  return { code, text };
}

describe('src/cli/status', () => {
  it('shows the run awaiting approval with its lock, then the finished run by cluster and by id', async () => {
    const h = await kpmHarness(new FakeCluster(aCluster()));
    close = h.close;
    const planned = await h.workflows.plan('cluster-a', PlanInput.parse({}), 'U0REQUESTER');
    const active = run([], h.db);
    expect(active.code).toBe(0);
    expect(active.text).toContain(`${planned.runId}  migrate  cluster-a  awaiting_approval`);
    expect(active.text).toContain('holds the cluster-a lock');
    await h.workflows.approve(planned.runId, 'U0APPROVER', planned.plan.digest);
    await h.waitFor(planned.runId, ['succeeded']);
    expect(run([], h.db).text).toBe('no active runs\n');
    expect(run(['cluster-a'], h.db).text).toContain('succeeded');
    const byId = run([planned.runId], h.db).text;
    expect(byId).toContain('iptables → ipvs on 3 node(s)');
    // The run's timeline from the audit log, in order: approval before the first step, the end last.
    const timeline = byId.slice(byId.indexOf('timeline:'));
    expect(timeline).toMatch(/U0APPROVER\s+approval/);
    expect(timeline.indexOf('approval')).toBeLessThan(timeline.indexOf('step.'));
    expect(timeline.trim().split('\n').length).toBeGreaterThan(5);
    expect(run(['nope'], h.db).code).toBe(1);
  });
});
