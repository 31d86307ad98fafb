// The run state machine, pure: which event moves which state where. The runner and the run store
// call `transition` before every state write, so an impossible move is a bug caught, not a state stored.
import type { RunState } from '../kube-proxy-mode/api.js';

export type RunEventName =
  | 'quorum_met'          // awaiting_approval → approved
  | 'reject'              // awaiting_approval → rejected
  | 'expire'              // awaiting_approval → expired
  | 'cancel'              // awaiting_approval | approved → cancelled (a running run is cancelled at a step boundary)
  | 'start'               // approved → running
  | 'drift'               // approved | running → voided
  | 'finish'              // running → succeeded
  | 'fail'                // running → failed (auto-rollback off) ; waiting_operator → failed (abort)
  | 'compensate'          // running | waiting_operator → rolling_back (failure, cancel, operator's "roll back")
  | 'compensated'         // rolling_back → rolled_back
  | 'compensated_cancel'  // rolling_back → cancelled (undo after a cancel)
  | 'need_operator'       // running | rolling_back → waiting_operator
  | 'continue';           // waiting_operator → running | rolling_back (by phase)

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set<RunState>([
  'succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided',
]);

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.has(state);
}

/** States in which the runner drives the run (it holds a lease while doing so). */
export const DRIVEN_STATES: ReadonlySet<RunState> = new Set<RunState>(['approved', 'running', 'rolling_back']);

export class InvalidTransition extends Error {
  constructor(readonly from: RunState, readonly event: RunEventName) {
    super(`invalid run transition: ${from} --${event}-->`);
    this.name = 'InvalidTransition';
  }
}

const TABLE: Record<RunEventName, Partial<Record<RunState, RunState>>> = {
  quorum_met: { awaiting_approval: 'approved' },
  reject: { awaiting_approval: 'rejected' },
  expire: { awaiting_approval: 'expired' },
  cancel: { awaiting_approval: 'cancelled', approved: 'cancelled' },
  start: { approved: 'running' },
  drift: { approved: 'voided', running: 'voided' },
  finish: { running: 'succeeded' },
  fail: { running: 'failed', waiting_operator: 'failed', rolling_back: 'failed' },
  compensate: { running: 'rolling_back', waiting_operator: 'rolling_back', rolling_back: 'rolling_back' },
  compensated: { rolling_back: 'rolled_back' },
  compensated_cancel: { rolling_back: 'cancelled' },
  need_operator: { running: 'waiting_operator', rolling_back: 'waiting_operator' },
  continue: { waiting_operator: 'running' },
};

/**
 * The state after `event` in `from`. `continue` resumes in the phase the run was in when it stopped:
 * 'compensating' goes back to rolling_back.
 */
export function transition(from: RunState, event: RunEventName, phase: 'forward' | 'compensating' = 'forward'): RunState {
  if (event === 'continue' && from === 'waiting_operator') return phase === 'compensating' ? 'rolling_back' : 'running';
  const to = TABLE[event][from];
  if (to === undefined) throw new InvalidTransition(from, event);
  return to;
}

export function canTransition(from: RunState, event: RunEventName): boolean {
  return TABLE[event][from] !== undefined;
}
