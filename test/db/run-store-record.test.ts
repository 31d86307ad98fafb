import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { commit, getRun, getStepRows, insertRun, record } from '../../src/db/run-store.js';

const T0 = Date.parse('2026-12-07T00:00:00Z');

function withRun() {
  const db = openDb(':memory:');
  migrateDb(db);
  insertRun(db, {
    id: 'run-1', kind: 'migrate', cluster: 'c1', requester: 'U1', inputJson: '{}', planJson: JSON.stringify({ nodes: ['n1', 'n2'] }),
    planDigest: 'd', requiredApprovals: 1, expiresAtMs: T0 + 3_600_000, state: 'running',
  }, T0);
  return db;
}
const audits = (db: ReturnType<typeof withRun>) =>
  db.$client.prepare("select type, cluster, run_id as runId, payload from audit_events where type like 'node.%' order by seq").all() as
    { type: string; cluster: string; runId: string; payload: string }[];

describe('src/db/run-store record', () => {
  it('writes a node result and its audit event in one transaction, stamped with the run\'s cluster, and leaves the run row alone', () => {
    const db = withRun();
    const before = getRun(db, 'run-1')!;
    const ok = record(db, {
      runId: 'run-1', steps: [{ stepId: 'verify:1', node: 'n1', status: 'ok', phase: 'verify', resultJson: '{"ok":true}' }],
      audit: [{ actor: 'system', type: 'node.verify', payload: { node: 'n1', ok: true } }],
    }, T0 + 5_000);
    expect(ok).toBe(true);
    expect(getStepRows(db, 'run-1', 'verify:1')).toMatchObject([{ node: 'n1', status: 'ok', phase: 'verify', resultJson: '{"ok":true}' }]);
    expect(audits(db)).toEqual([{ type: 'node.verify', cluster: 'c1', runId: 'run-1', payload: '{"node":"n1","ok":true}' }]);
    expect(getRun(db, 'run-1')).toEqual(before);
  });

  it('writes nothing when the run is not in the expected state, or does not exist', () => {
    const db = withRun();
    const step = { stepId: 'verify:1', node: 'n2', status: 'ok', phase: 'verify', resultJson: '{}' };
    const audit = [{ actor: 'system', type: 'node.verify', payload: {} }];
    expect(record(db, { runId: 'run-1', expectState: 'rolling_back', steps: [step], audit }, T0)).toBe(false);
    expect(record(db, { runId: 'no-such-run', steps: [step], audit }, T0)).toBe(false);
    expect(getStepRows(db, 'run-1', 'verify:1')).toEqual([]);
    expect(audits(db)).toEqual([]);
  });

  it('commit still hands back the whole run row (plan included), stamped with the commit time', () => {
    const db = withRun();
    const row = commit(db, { runId: 'run-1', audit: [{ actor: 'system', type: 'node.note', payload: {} }] }, T0 + 7_000)!;
    expect(row.planJson).toBe(JSON.stringify({ nodes: ['n1', 'n2'] }));
    expect(row.updatedAt).toBe(new Date(T0 + 7_000).toISOString());
    expect(commit(db, { runId: 'run-1', run: { state: 'succeeded' }, audit: [] }, T0 + 8_000)).toMatchObject({ state: 'succeeded', updatedAt: new Date(T0 + 8_000).toISOString() });
  });
});
