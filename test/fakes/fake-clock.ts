// A Clock that only moves when the test says so. advance() fires due timers in time order and lets
// the async work they start run (event-loop turns) before moving on.
import type { Clock, TimerHandle } from '../../src/workflows/engine/ports.js';

interface Timer { at: number; seq: number; fn: () => void; cancelled: boolean }

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start: number | string = '2026-01-01T00:00:00.000Z') {
    this.t = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number { return this.t; }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Timers not yet fired or cancelled. */
  pending(): number { return this.timers.filter((x) => !x.cancelled).length; }

  /** Moves time forward by ms, firing every timer that falls due on the way (including ones set meanwhile). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((x) => !x.cancelled && x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => !x.cancelled);
    await settle();
  }
}

/** A few event-loop turns: enough for promise chains and sync SQLite work kicked by a timer. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
