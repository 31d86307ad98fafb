// The engine's ports: time, where events go, where log lines go. Tests inject FakeClock and RecordingNotifier.
import type { Notifier, RunEvent } from '../kube-proxy-mode/api.js';

export type { Notifier, RunEvent };

export interface TimerHandle { cancel(): void }

/** Injected time (STYLE habit 7): nothing in the engine reads Date.now() or calls setTimeout directly. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once after ms (by this clock). */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    // Node caps timers at 2^31-1 ms; a longer wait simply re-arms after that.
    // Not unref'd: a pending wait is work in progress; engine.stop() cancels the engine's own timers.
    const t = setTimeout(fn, Math.min(Math.max(0, ms), 2_147_483_647));
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after ms on the given clock (not durable; see StepContext.sleep for the durable form). */
export function clockDelay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => { clock.setTimer(ms, resolve); });
}

/** The subset of pino the engine uses; pino loggers satisfy it. */
export interface Logger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  debug(obj: Record<string, unknown>, msg?: string): void;
  /** A logger whose lines all carry these fields (pino's child). Optional: test loggers may omit it. */
  child?(bindings: Record<string, unknown>): Logger;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
