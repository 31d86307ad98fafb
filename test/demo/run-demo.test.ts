import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';

describe('src/demo/run-demo (npm run demo)', () => {
  it('runs plan → approve → migrate → rollback → audit export on the sandbox and every check passes', async () => {
    const r = await runDemo({ nodes: 5 });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.checks.length).toBeGreaterThanOrEqual(11);
    expect(r.ok).toBe(true);
    // The transcript is the channel as people saw it: both cards, their final states, the thread details.
    expect(r.transcript).toContain('kube-proxy iptables → ipvs');
    expect(r.transcript).toMatch(/Succeeded: kube-proxy on \*sandbox\* ipvs → iptables/);
    expect(r.transcript).toContain('Using ipvs Proxier');
    // Each card as the approver first saw it (checks, config.conf diff, rollout, buttons), then as it finished.
    const cards = r.transcript.split('── as first posted ──').slice(1);
    expect(cards).toHaveLength(2);
    const firstPosted = cards[0]!.split('── now (after')[0]!;
    for (const s of ['Pre-flight checks', 'config.conf', '+mode: "ipvs"', 'Rollout', '[Approve] [Reject]']) expect(firstPosted).toContain(s);
    expect(cards[0]!.split('── now (after')[1]).toMatch(/Succeeded/);
    expect(r.checks.filter((c) => /thread replies for 5 nodes/.test(c.what))).toHaveLength(2);
  }, 120_000);
});
