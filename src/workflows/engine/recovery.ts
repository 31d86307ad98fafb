// Recovery on start: every unfinished run is found and resumed by the normal loop. A run whose lease
// this owner held before a restart (or whose lease lapsed) is released so the loop can take it now;
// a step left 'started' is re-observed by the runner, never silently re-run.
import { getSteps, listRuns, record, releaseLease, type RunDb } from '../../db/run-store.js';
import type { Clock, Logger } from './ports.js';

export interface RecoveryReport { resumed: string[]; waitingOperator: string[]; leasedElsewhere: string[] }

export function recoverRuns(env: { db: RunDb; clock: Clock; logger: Logger; ownerId: string }): RecoveryReport {
  const { db, clock, logger, ownerId } = env;
  const t = clock.now();
  const report: RecoveryReport = { resumed: [], waitingOperator: [], leasedElsewhere: [] };
  for (const r of listRuns(db, { states: ['approved', 'running', 'rolling_back', 'waiting_operator'], limit: 100_000 })) {
    if (r.state === 'waiting_operator') { report.waitingOperator.push(r.id); continue; }
    const mine = r.leaseOwner === ownerId;
    const lapsed = r.leaseOwner !== null && (r.leaseExpiresAtMs ?? 0) <= t;
    if (r.leaseOwner !== null && !mine && !lapsed) { report.leasedElsewhere.push(r.id); continue; }
    if (r.leaseOwner !== null) {
      const inDoubt = getSteps(db, r.id).filter((s) => s.node === '' && (s.status === 'started' || s.status === 'compensating')).map((s) => s.stepId);
      // Audited so the timeline shows the crash and what was in doubt when the run was picked up again.
      record(db, {
        runId: r.id,
        audit: [{ actor: 'system', type: 'run.recovered', payload: { previousOwner: r.leaseOwner, newOwner: ownerId, state: r.state, inDoubt } }],
      }, t);
      releaseLease(db, r.id, r.leaseOwner);
    }
    report.resumed.push(r.id);
  }
  logger.info({ ownerId, ...report }, 'recovery: unfinished runs');
  return report;
}
