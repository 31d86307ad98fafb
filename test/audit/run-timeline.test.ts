import { describe, expect, it } from 'vitest';
import { runTimeline, summarizeEvent } from '../../src/audit/run-timeline.js';
import { openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { recordAudit } from '../../src/db/audit-store.js';

describe('src/audit/run-timeline', () => {
  it('lists one run\'s events in order with per-node results summarised', () => {
    const db = openDb(':memory:');
    migrateDb(db);
    recordAudit(db, { actor: 'U1', cluster: 'c', runId: 'r1', type: 'run.planned', payload: { digest: 'abcdef0123456789ffff' } });
    recordAudit(db, { actor: 'U2', cluster: 'c', runId: 'r2', type: 'run.planned', payload: {} });
    recordAudit(db, { actor: 'U3', cluster: 'c', runId: 'r1', type: 'approval.recorded', payload: { digest: 'abcdef0123456789ffff', count: 1, required: 1 } });
    recordAudit(db, { actor: 'system', cluster: 'c', runId: 'r1', type: 'step.succeeded', payload: { step: 'verify:0', attempt: 1, result: { node: 'node-1', ok: true, proxyMode: 'ipvs', big: { x: 1 } } } });
    recordAudit(db, { actor: 'system', cluster: 'c', runId: 'r1', type: 'step.retry_scheduled', payload: { step: 'rollout:1', attempt: 2, delayMs: 400, error: 'x'.repeat(300) } });
    const t = runTimeline(db, 'r1');
    expect(t.map((e) => [e.seq, e.actor, e.type])).toEqual([[1, 'U1', 'run.planned'], [3, 'U3', 'approval.recorded'], [4, 'system', 'step.succeeded'], [5, 'system', 'step.retry_scheduled']]);
    expect(t[0]!.summary).toBe('digest=abcdef012345');
    expect(t[1]!.summary).toBe('count=1 required=1 digest=abcdef012345');
    expect(t[2]!.summary).toBe('step=verify:0 attempt=1 node=node-1 ok=true proxyMode=ipvs');
    expect(t[3]!.summary).toMatch(/^step=rollout:1 attempt=2 error=x{79}… delayMs=400$/);
    expect(runTimeline(db, 'r1', { limit: 2 }).map((e) => e.seq)).toEqual([4, 5]);
    expect(runTimeline(db, 'nope')).toEqual([]);
  });

  it('never throws on an odd payload', () => {
    expect(summarizeEvent('not json')).toBe('');
    expect(summarizeEvent('null')).toBe('');
    expect(summarizeEvent({ result: [1, 2] })).toBe('');
  });
});
