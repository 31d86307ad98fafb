import { describe, expect, it } from 'vitest';
import { canTransition, InvalidTransition, isTerminal, transition } from '../../../src/workflows/engine/state-machine.js';

describe('src/workflows/engine/state-machine', () => {
  it('walks the happy path awaiting → approved → running → succeeded', () => {
    expect(transition('awaiting_approval', 'quorum_met')).toBe('approved');
    expect(transition('approved', 'start')).toBe('running');
    expect(transition('running', 'finish')).toBe('succeeded');
  });

  it('voids on drift only before or while running', () => {
    expect(transition('approved', 'drift')).toBe('voided');
    expect(transition('running', 'drift')).toBe('voided');
    expect(() => transition('rolling_back', 'drift')).toThrow(InvalidTransition);
  });

  it('resumes a waiting run in the phase it stopped in', () => {
    expect(transition('waiting_operator', 'continue', 'forward')).toBe('running');
    expect(transition('waiting_operator', 'continue', 'compensating')).toBe('rolling_back');
    expect(transition('waiting_operator', 'compensate')).toBe('rolling_back');
    expect(transition('waiting_operator', 'fail')).toBe('failed');
  });

  it('ends compensation as rolled_back, or cancelled after a cancel', () => {
    expect(transition('rolling_back', 'compensated')).toBe('rolled_back');
    expect(transition('rolling_back', 'compensated_cancel')).toBe('cancelled');
    expect(transition('rolling_back', 'need_operator')).toBe('waiting_operator');
  });

  it('refuses every move out of a terminal state', () => {
    const events = ['quorum_met', 'reject', 'expire', 'cancel', 'start', 'drift', 'finish', 'fail', 'compensate',
      'compensated', 'compensated_cancel', 'need_operator', 'continue'] as const;
    for (const s of ['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided'] as const) {
      expect(isTerminal(s)).toBe(true);
      for (const e of events) expect(canTransition(s, e), `${s} --${e}`).toBe(false);
    }
    expect(isTerminal('waiting_operator')).toBe(false);
  });

  it('only an awaiting run can be approved, rejected or expire', () => {
    expect(() => transition('running', 'quorum_met')).toThrow(/invalid run transition: running --quorum_met/);
    expect(() => transition('approved', 'reject')).toThrow(InvalidTransition);
    expect(() => transition('running', 'expire')).toThrow(InvalidTransition);
    expect(transition('awaiting_approval', 'cancel')).toBe('cancelled');
    expect(() => transition('running', 'cancel')).toThrow(InvalidTransition);
  });
});
