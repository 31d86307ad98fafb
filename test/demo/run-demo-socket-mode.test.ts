import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';

describe('src/demo/run-demo --socket-mode (npm run demo -- --socket-mode)', () => {
  it('runs the whole demo with Slack reaching the bot over Socket Mode; every check passes', async () => {
    const r = await runDemo({ nodes: 3, socketMode: true });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.checks[0]?.what).toMatch(/^Socket Mode: connected through apps\.connections\.open/);
    expect(r.checks.filter((c) => c.what.includes('(Socket Mode ack)'))).toHaveLength(4);
    expect(r.transcript).toMatch(/Succeeded: kube-proxy on \*sandbox\* ipvs → iptables/);
  }, 120_000);
});
