// How the real-host tier runs, skips or fails: it needs root and the real tools. Without them it is skipped with
// the reason in the suite's name and on the console, unless IPVS_BOT_HOST_TESTS=required (CI), where it fails.
import { afterEach, describe, it } from 'vitest';
import { countHostTest, hostTierUnavailable } from './netns.js';

const unavailable = hostTierUnavailable();

export function describeHost(name: string, body: () => void): void {
  if (!unavailable) {
    describe(name, () => {
      afterEach((ctx) => countHostTest(ctx.task.name));
      body();
    });
    return;
  }
  if (process.env.IPVS_BOT_HOST_TESTS === 'required') {
    describe(name, () => {
      it('has what the real-host tier needs (IPVS_BOT_HOST_TESTS=required)', () => { throw new Error(`the real-host tier cannot run here: ${unavailable}`); });
    });
    return;
  }
  console.warn(`[real-host tier] ${name}: skipped: ${unavailable}`);
  describe.skipIf(true)(`${name} (skipped: ${unavailable})`, body);
}
