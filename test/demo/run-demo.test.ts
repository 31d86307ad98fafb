import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';

describe('src/demo/run-demo (npm run demo)', () => {
  it('runs plan → approve → migrate → rollback → audit export on the sandbox and every check passes', async () => {
    const r = await runDemo({ nodes: 3 });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.checks.length).toBeGreaterThanOrEqual(11);
    expect(r.ok).toBe(true);
    // The transcript is the channel as people saw it: both cards, their final states, the thread details.
    expect(r.transcript).toContain('kube-proxy iptables → ipvs');
    expect(r.transcript).toMatch(/Succeeded: kube-proxy on \*sandbox\* ipvs → iptables/);
    expect(r.transcript).toContain('Using ipvs Proxier');
  }, 120_000);
});
