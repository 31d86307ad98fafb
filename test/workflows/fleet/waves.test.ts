import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { parseIpvsCommand } from '../../../src/bot/command-parser.js';
import type { RunState, RunStatus } from '../../../src/workflows/kube-proxy-mode/api.js';
import { assignWaves, fleetState, type FleetMember } from '../../../src/workflows/fleet/waves.js';
import { modeDeadline } from '../../../src/workflows/fleet/upstream-clock.js';

const run = (cluster: string, state: RunState, reason?: string): RunStatus => ({
  runId: `r-${cluster}`, cluster, kind: 'migrate', state, requester: 'U0REQ', approvals: [], requiredApprovals: 1,
  plan: {} as RunStatus['plan'], nodes: [], createdAt: '', updatedAt: '', ...(reason ? { reason } : {}),
});
const member = (cluster: string, wave: number, state: RunState, reason?: string): FleetMember => ({ run: run(cluster, state, reason), fleet: { id: 'fleet-1', wave, waves: 3 } });

describe('src/workflows/fleet/waves', () => {
  it('assigns waves: per-cluster wave first, then the first matching glob group, then one wave after all', () => {
    const clusters = [{ name: 'dev-a' }, { name: 'prod-eu' }, { name: 'staging-b' }, { name: 'canary', wave: 1 }, { name: 'lab' }];
    expect(assignWaves(clusters, [['dev-*'], ['staging-*', 'qa-?'], ['prod-*']])).toEqual([
      { wave: 1, clusters: ['dev-a', 'canary'] }, { wave: 2, clusters: ['staging-b'] }, { wave: 3, clusters: ['prod-eu'] }, { wave: 4, clusters: ['lab'] },
    ]);
    expect(assignWaves([{ name: 'a' }, { name: 'b' }])).toEqual([{ wave: 1, clusters: ['a', 'b'] }]);
  });

  it('opens a wave only when every earlier wave succeeded', () => {
    const st = fleetState([member('dev', 1, 'running'), member('stg', 2, 'awaiting_approval'), member('prod', 3, 'awaiting_approval')])!;
    expect(st.waves.map((w) => [w.status, w.approvable])).toEqual([['running', false], ['awaiting_approval', false], ['awaiting_approval', false]]);
    expect(st.waves[1]!.why).toBe('waits for wave 1 to succeed');
    const next = fleetState([member('dev', 1, 'succeeded'), member('stg', 2, 'awaiting_approval'), member('prod', 3, 'awaiting_approval')])!;
    expect(next.waves.map((w) => w.approvable)).toEqual([false, true, false]);
  });

  it('a failure stops the fleet run at its wave; later waves say why and cannot be approved', () => {
    const st = fleetState([member('dev', 1, 'succeeded'), member('stg', 2, 'rolled_back', 'k8s-worker-1 failed verification'), member('prod', 3, 'awaiting_approval')])!;
    expect(st.stoppedAt).toBe(2);
    expect(st.waves[1]).toMatchObject({ status: 'failed', approvable: false, why: 'stg rolled back: k8s-worker-1 failed verification' });
    expect(st.waves[2]).toMatchObject({ approvable: false, why: 'the fleet run stopped at wave 2' });
  });

  it('a wave whose cluster still waits for a second approver stays approvable for the others', () => {
    const st = fleetState([member('a', 1, 'running'), member('b', 1, 'awaiting_approval')])!;
    expect(st.waves[0]).toMatchObject({ status: 'running', approvable: true });
  });
});

describe('src/workflows/fleet/upstream-clock', () => {
  // KEP-5495 (kubernetes/enhancements #6120): off by default 1.40, removed 1.43; KEP-5343: nftables default 1.40.
  it('counts releases until the mode stops working', () => {
    expect(modeDeadline('ipvs', { major: 1, minor: 35 })).toMatchObject({ releasesLeft: 5, at: '1.40' });
    expect(modeDeadline('ipvs', { major: 1, minor: 38 }, { ipvsGate: true })).toMatchObject({ releasesLeft: 5, at: '1.43' });
    expect(modeDeadline('ipvs', { major: 1, minor: 41 })).toMatchObject({ releasesLeft: 0, what: expect.stringMatching(/needs featureGates KubeProxyIPVS/) });
    expect(modeDeadline('iptables', { major: 1, minor: 30 }, { modeUnset: true })).toMatchObject({ releasesLeft: 10, what: expect.stringMatching(/nftables from 1.40/) });
    expect(modeDeadline('iptables', { major: 1, minor: 30 }).releasesLeft).toBeUndefined();
    expect(modeDeadline('nftables', { major: 1, minor: 33 }).releasesLeft).toBeUndefined();
  });
});

describe('fleet config keys and commands', () => {
  const env = { SLACK_BOT_TOKEN: 'xoxb-t', SLACK_SIGNING_SECRET: 's' };
  it('reads top-level waves and per-cluster wave; reports bad ones with their path', () => {
    const c = loadConfig(env, { text: 'waves: [[dev-*], [prod-*]]\nclusters:\n  - { name: dev-a, wave: 1, approvers: { users: [U0A] } }\n' });
    expect(c.waves).toEqual([['dev-*'], ['prod-*']]);
    expect(c.clusters[0]!.wave).toBe(1);
    expect(() => loadConfig(env, { text: 'waves: [[Dev_*]]\nclusters:\n  - { name: a, wave: 0, approvers: { users: [U0A] } }\n' }))
      .toThrow(/clusters\[0\]\.wave: must be 1 or more[\s\S]*waves\[0\]\[0\]: must be a cluster name or a pattern/);
  });

  it('parses /ipvs fleet [--csv] and plan --clusters / --fleet', () => {
    expect(parseIpvsCommand('fleet')).toEqual({ ok: true, command: { kind: 'fleet', csv: false } });
    expect(parseIpvsCommand('fleet --csv')).toEqual({ ok: true, command: { kind: 'fleet', csv: true } });
    expect(parseIpvsCommand('fleet prod').ok).toBe(false);
    expect(parseIpvsCommand('plan --clusters a,b,dev-* --mode nftables')).toMatchObject({ ok: true, command: { kind: 'plan-fleet', selector: { names: ['a', 'b', 'dev-*'] }, input: { targetMode: 'nftables' } } });
    expect(parseIpvsCommand('plan --fleet')).toMatchObject({ ok: true, command: { kind: 'plan-fleet', selector: { needsMove: true } } });
    expect(parseIpvsCommand('plan a --fleet')).toMatchObject({ ok: false, error: expect.stringMatching(/not both/) });
    expect(parseIpvsCommand('plan --fleet --clusters a')).toMatchObject({ ok: false });
    expect(parseIpvsCommand('plan --clusters A_B')).toMatchObject({ ok: false, error: expect.stringMatching(/cluster names or patterns/) });
  });
});
