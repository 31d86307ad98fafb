// Counts the real-host tests that ran, so CI (.ci/run) can fail when the tier silently ran none.
import { appendFileSync } from 'node:fs';

export function countHostTest(): void {
  const f = process.env.IPVS_BOT_HOST_TEST_COUNT_FILE;
  if (f) appendFileSync(f, '1\n');
}
