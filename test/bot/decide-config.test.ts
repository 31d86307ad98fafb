// Per-cluster decisionTimeout and reportOnly (issue #12 item 3): parsed, defaulted, and bad values named by path.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const env = { SLACK_BOT_TOKEN: 'xoxb-1-abc', SLACK_SIGNING_SECRET: 'shh' };
const yaml = (extra: string) => `clusters:\n  - name: a\n    approvers: { users: [U012ABCDEF] }\n${extra}`;

describe('config: decisionTimeout and reportOnly', () => {
  it('reads both; without them the cluster has neither (the engine defaults the timeout to 30 min)', () => {
    const c = loadConfig(env, { text: yaml('    decisionTimeout: 10m\n    reportOnly: [dns, "prometheus:error-rate", alerts]\n') }).clusters[0]!;
    expect(c.decisionTimeoutMs).toBe(600_000);
    expect(c.reportOnly).toEqual(['dns', 'prometheus:error-rate', 'alerts']);
    const d = loadConfig(env, { text: yaml('') }).clusters[0]!;
    expect(d.decisionTimeoutMs).toBeUndefined();
    expect(d.reportOnly).toBeUndefined();
  });

  it('refuses an unknown check name and a bad duration, by path', () => {
    let err: unknown;
    try { loadConfig(env, { text: yaml('    decisionTimeout: soon\n    reportOnly: [dnss]\n') }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const text = String((err as Error).message);
    expect(text).toMatch(/clusters\[0\]\.decisionTimeout/);
    expect(text).toMatch(/clusters\[0\]\.reportOnly\[0\].*check name/);
  });
});
