import { describe, expect, it } from 'vitest';
import { parseIpvsCommand, tokenize, USAGE } from '../../src/bot/command-parser.js';

const ok = (text: string) => {
  const r = parseIpvsCommand(text);
  if (!r.ok) throw new Error(`expected ok for ${text}: ${r.error}`);
  return r.command;
};
const bad = (text: string) => {
  const r = parseIpvsCommand(text);
  if (r.ok) throw new Error(`expected error for ${text}`);
  return r;
};

describe('src/bot/command-parser', () => {
  it('plan with defaults from PlanInput', () => {
    expect(ok('plan cluster-a')).toEqual({ kind: 'plan', cluster: 'cluster-a', input: {
      targetMode: 'ipvs', scheduler: 'rr', strictArp: false, batch: 1, cleanup: 'targeted', autoRollback: true } });
  });

  it('plan with every option, in any order, with --flag=value and Slack em-dashes', () => {
    expect(ok('plan prod-eu --scheduler=wrr --strict-arp —batch 25% --cleanup none --no-auto-rollback --mode iptables')).toEqual({
      kind: 'plan', cluster: 'prod-eu', input: { targetMode: 'iptables', scheduler: 'wrr', strictArp: true, batch: '25%', cleanup: 'none', autoRollback: false } });
    expect(ok('  PLAN   cluster-a   --batch 5 ')).toMatchObject({ kind: 'plan', input: { batch: 5 } });
  });

  it('plan errors name the problem and show the plan usage', () => {
    expect(bad('plan')).toEqual({ ok: false, error: expect.stringMatching(/Which cluster/), usage: USAGE.plan });
    expect(bad('plan Cluster_A').error).toMatch(/not a cluster name/);
    expect(bad('plan a b').error).toMatch(/Unexpected `b`/);
    expect(bad('plan a --mode userspace').error).toMatch(/--mode userspace.*iptables, ipvs, nftables/);
    expect(bad('plan a --scheduler fifo').error).toMatch(/--scheduler fifo/);
    expect(bad('plan a --batch 0').error).toMatch(/node count/);
    expect(bad('plan a --batch 101%').error).toMatch(/1% to 100%/);
    expect(bad('plan a --batch').error).toMatch(/needs a value/);
    expect(bad('plan a --batch --strict-arp').error).toMatch(/needs a value/);
    expect(bad('plan a --cleanup all').error).toMatch(/targeted, kube-proxy or none/);
    expect(bad('plan a --force').error).toMatch(/Unknown option `--force`/);
    expect(bad('plan a --batch 1 --batch 2').error).toMatch(/twice/);
  });

  it('status, rollback, cancel, clusters, help', () => {
    expect(ok('status')).toEqual({ kind: 'status' });
    expect(ok('status cluster-a')).toEqual({ kind: 'status', target: 'cluster-a' });
    expect(ok('status run-01HX')).toEqual({ kind: 'status', target: 'run-01HX' });
    expect(ok('rollback cluster-a')).toEqual({ kind: 'rollback', target: 'cluster-a' });
    expect(ok('cancel run-7')).toEqual({ kind: 'cancel', runId: 'run-7' });
    expect(ok('clusters')).toEqual({ kind: 'clusters' });
    expect(ok('')).toEqual({ kind: 'help' });
    expect(ok('help')).toEqual({ kind: 'help' });
    expect(bad('rollback').usage).toBe(USAGE.rollback);
    expect(bad('cancel').error).toMatch(/run id/);
    expect(bad('status a b').error).toMatch(/Unexpected/);
    expect(bad('clusters all').error).toMatch(/no arguments/);
    expect(bad('status --all').error).toMatch(/Unknown option/);
  });

  it('audit export and verify', () => {
    expect(ok('audit export')).toEqual({ kind: 'audit-export', format: 'jsonl' });
    expect(ok('audit export cluster-a --since 30d --format csv')).toEqual({ kind: 'audit-export', cluster: 'cluster-a', since: '30d', sinceMs: 30 * 86_400_000, format: 'csv' });
    expect(ok('audit verify')).toEqual({ kind: 'audit-verify' });
    expect(bad('audit').error).toMatch(/export.*verify/);
    expect(bad('audit export --format xml').error).toMatch(/jsonl or csv/);
    expect(bad('audit export --since yesterday').error).toMatch(/duration/);
    expect(bad('audit verify now').error).toMatch(/no arguments/);
    expect(bad('audit delete').error).toMatch(/Unknown audit action/);
  });

  it('quotes user text safely in errors (no mentions, no code-span escape)', () => {
    const e = bad('<!channel> `x`').error;
    expect(e).not.toContain('<!channel>');
    expect(e).toContain('&lt;!channel&gt;');
    expect(bad('plan a --mode `rm`').error).not.toMatch(/`rm`/);
  });

  it('rejects over-long input and tokenizes', () => {
    expect(bad('plan ' + 'a'.repeat(2000)).error).toMatch(/too long/);
    expect(tokenize(' plan  a --batch=2 ')).toEqual(['plan', 'a', '--batch', '2']);
  });
});
