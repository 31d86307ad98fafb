import { describe, expect, it } from 'vitest';
import { blocksToText, buttonsIn } from '../../src/slack-stand-in/block-text.js';
import { decodeRef, runCard } from '../../src/bot/views/run-card.js';
import { helpView } from '../../src/bot/views/help.js';
import { nodeResultView } from '../../src/bot/views/node-result.js';
import { prepSummaryView } from '../../src/bot/views/prep-summary.js';
import { approveModal, rejectModal } from '../../src/bot/views/modals.js';
import { statusView } from '../../src/bot/views/status-view.js';
import { PlanInput, type RunStatus } from '../../src/workflows/kube-proxy-mode/api.js';
import { samplePlan } from '../fakes/fake-workflows.js';

function run(o: { nodes?: number; version?: string; state?: RunStatus['state']; diff?: string } = {}): RunStatus {
  const plan = samplePlan('cluster-a', PlanInput.parse({}), { nodes: o.nodes ?? 3, ...(o.version ? { version: o.version } : {}) });
  if (o.diff !== undefined) plan.configDiff = o.diff;
  return { runId: 'run-1', cluster: 'cluster-a', kind: 'migrate', state: o.state ?? 'awaiting_approval', requester: 'U0REQ',
    approvals: [], requiredApprovals: 2, plan, nodes: [], createdAt: plan.createdAt, updatedAt: plan.createdAt };
}

function limits(blocks: Record<string, unknown>[]): void {
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const b of blocks) {
    const t = (b.text as { text?: string } | undefined)?.text;
    if (t !== undefined) expect(t.length).toBeLessThanOrEqual(b.type === 'header' ? 150 : 3000);
    for (const f of (b.fields as { text: string }[] | undefined) ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
  }
}

describe('src/bot/views', () => {
  it('plan card for a small cluster (snapshot)', () => {
    expect(runCard(run())).toMatchSnapshot();
  });

  it('plan card carries {runId, digest} in Approve/Reject and Approve has a confirm dialog', () => {
    const card = runCard(run());
    const [approve, reject] = buttonsIn(card.blocks);
    expect(approve?.text).toBe('Approve');
    expect(approve?.style).toBe('primary');
    expect(approve?.confirm).toBeDefined();
    expect(reject?.text).toBe('Reject');
    expect(reject?.style).toBe('danger');
    expect(decodeRef(approve?.value)).toEqual({ runId: 'run-1', digest: 'sha256-cluster-a-ipvs-rr' });
    expect(blocksToText(card.blocks).join('\n')).toContain('0/2 approvals');
  });

  it('production: Approve has no confirm (the modal asks for the typed name instead)', () => {
    expect(buttonsIn(runCard(run(), { production: true }).blocks)[0]?.confirm).toBeUndefined();
  });

  it('a 1,000-node plan with a huge diff stays within Block Kit limits, node table capped with counts', () => {
    const diff = Array.from({ length: 2000 }, (_, i) => `+line ${i} ${'x'.repeat(30)}`).join('\n');
    const card = runCard(run({ nodes: 1000, diff }));
    limits(card.blocks);
    const text = blocksToText(card.blocks).join('\n');
    expect(text).toContain('… and 985 more');
    expect(text).toMatch(/1000 \(\d+ Ready, \d+ not Ready, 1 control-plane\)/);
    expect(text).toMatch(/… \(\d+ more lines\)/);
    expect(JSON.stringify(card).length).toBeLessThan(40_000);
  });

  it('warns that IPVS is deprecated upstream on v1.35+ and names nftables', () => {
    const text = blocksToText(runCard(run({ version: 'v1.35.1' })).blocks).join('\n');
    expect(text).toMatch(/IPVS mode is deprecated upstream from Kubernetes v1.35 \(this cluster runs v1.35.1\); nftables/);
    expect(blocksToText(runCard(run({ version: 'v1.28.7' })).blocks).join('\n')).not.toContain('this cluster runs');
  });

  it('a blocked plan offers no Approve, only Reject, and says why', () => {
    const r = run();
    r.plan.checks.push({ id: 'managed-platform', verdict: 'block', message: 'EKS manages kube-proxy' });
    const card = runCard(r);
    expect(buttonsIn(card.blocks).map((b) => b.text)).toEqual(['Reject']);
    expect(blocksToText(card.blocks).join('\n')).toMatch(/:no_entry: \*managed-platform\*: EKS manages kube-proxy/);
  });

  it('running card is a checklist with per-node counts and a Cancel button', () => {
    const r = run({ state: 'running' });
    r.approvals = [{ user: 'U0A', at: r.createdAt }, { user: 'U0B', at: r.createdAt }];
    r.currentStep = 'verify:1';
    r.nodes = [{ node: 'cp-0', phase: 'prep', ok: true }, { node: 'worker-001', phase: 'prep', ok: true }, { node: 'worker-002', phase: 'prep', ok: false, detail: 'ip_vs missing' }];
    const card = runCard(r);
    const text = blocksToText(card.blocks).join('\n');
    expect(text).toContain('2/2 approvals: <@U0A>, <@U0B>');
    expect(text).toContain(':white_check_mark: Switch config.conf');
    expect(text).toContain(':arrow_forward: Roll out node by node: restart, verify, clean up (batch 1 of 2)');
    expect(text).toContain(':white_circle: Finish');
    expect(text).toContain('prep: 2/3 ok, 1 failed');
    expect(text).toContain(':x: worker-002 (prep): ip_vs missing');
    expect(buttonsIn(card.blocks).map((b) => b.text)).toEqual(['Cancel']);
  });

  it('rollback runs show the rollback checklist; the canary is named', () => {
    const r = run({ state: 'running' });
    r.kind = 'rollback'; r.plan.kind = 'rollback'; r.currentStep = 'restore-config';
    let text = blocksToText(runCard(r).blocks).join('\n');
    expect(text).toContain(':white_check_mark: Snapshot ConfigMap and DaemonSet');
    expect(text).toContain(':arrow_forward: Restore config.conf from the snapshot');
    expect(text).not.toContain('Prepare nodes');
    r.currentStep = 'settle:0';
    text = blocksToText(runCard(r).blocks).join('\n');
    expect(text).toContain(`(canary ${r.plan.rollout.canary})`);
  });

  it('terminal cards have no buttons and show the reason', () => {
    const r = run({ state: 'rolled_back' });
    r.reason = 'worker-002 failed verify: no "Using ipvs Proxier"';
    const card = runCard(r);
    expect(buttonsIn(card.blocks)).toEqual([]);
    expect(blocksToText(card.blocks).join('\n')).toContain('Rolled back');
    expect(card.text).toMatch(/Rolled back/);
  });

  it('node result reply shows the verify facts people look for, and its text says the status in words', () => {
    const v = nodeResultView([{ node: 'worker-001', phase: 'verified', ok: true, result: {
      phase: 'verify', node: 'worker-001', ok: true, errors: [], mode: 'ipvs', proxyMode: 'ipvs', kubeIpvs0: true, ipvsServices: 14,
      tcp: { target: '10.96.0.1:443', ok: true }, dns: { name: 'kubernetes.default', ok: true }, ping: { target: '10.96.0.10', replies: 3 },
      logExcerpt: 'I0101 server_others.go:218] "Using ipvs Proxier"' } }]);
    const text = blocksToText(v.blocks).join('\n');
    for (const s of ['worker-001 switched and verified', 'Verify: /proxyMode ipvs, kube-ipvs0 present, 14 IPVS virtual servers', 'TCP 10.96.0.1:443: connected', 'DNS kubernetes.default: resolved', 'ping 10.96.0.10: 3 replies', 'Using ipvs Proxier']) expect(text).toContain(s);
    expect(text).not.toContain('Result JSON');
    expect(v.text).toMatch(/^worker-001 switched and verified: .*TCP 10\.96\.0\.1:443: connected; DNS kubernetes\.default: resolved; ping 10\.96\.0\.10: 3 replies\.$/);
    expect(v.text).not.toMatch(/:[a-z_]+:|[*`]/);
  });

  it('one reply per node: restart, verify and cleanup together, ping read for what it means and DNS with its answer', () => {
    const v = nodeResultView([
      { node: 'w1', phase: 'restarting', ok: true, result: { oldPod: { name: 'kube-proxy-old', uid: 'u1' }, mode: 'ipvs' } },
      { node: 'w1', phase: 'restarted', ok: true, result: { pod: { name: 'kube-proxy-new', uid: 'u2' } } },
      { node: 'w1', phase: 'verified', ok: true, result: { mode: 'ipvs', errors: [], log: 'I1207 server.go:1] "Using ipvs Proxier"', removed: { chains: 12, rules: 3 },
        verify: { proxyMode: 'ipvs', kubeIpvs0: true, ipvsServices: 4, tcp: { target: '10.96.0.1:443', ok: true },
          dns: { name: 'kubernetes.default.svc.cluster.local', server: '10.96.0.10', type: 'A', ok: true, status: 'NOERROR', answers: ['10.96.0.1'], exit: 0 },
          ping: { target: '10.96.0.1', replies: 0, rejected: 3, expected: 'rejected', outcome: 'rejected' } } } },
    ]);
    const text = blocksToText(v.blocks).join('\n');
    expect(v.blocks).toHaveLength(1);
    for (const s of ['Restart: new kube-proxy pod kube-proxy-new Ready', 'kube-proxy: `I1207 server.go:1] "Using ipvs Proxier"`',
      'DNS kubernetes.default.svc.cluster.local: 10.96.0.1', 'ping 10.96.0.1: rejected (expected in IPVS mode from v1.26)',
      'Cleanup: removed 12 chains, 3 rules']) expect(text).toContain(s);
    const failed = nodeResultView([{ node: 'w2', phase: 'verified', ok: false, result: { mode: 'ipvs', errors: ['DNS lookup of kubernetes.default.svc.cluster.local failed'],
      verify: { dns: { name: 'kubernetes.default.svc.cluster.local', ok: false, status: 'NXDOMAIN', answers: [] }, ping: { target: '10.96.0.1', replies: 0, expected: 'rejected', outcome: 'no-answer' } } } }]);
    expect(failed.text).toMatch(/^w2 failed verification: DNS kubernetes\.default\.svc\.cluster\.local failed: NXDOMAIN; ping 10\.96\.0\.1: no answer \(expected: rejected\); Errors: DNS lookup/);
  });

  it('node result reply reads the engine shape (verify JSON nested under `verify`, log under `log`)', () => {
    const v = nodeResultView([{ node: 'w1', phase: 'verified', ok: false, result: {
      mode: 'ipvs', errors: ['the kube-proxy log has no "Using ipvs Proxier" line'], log: 'E0101 can\'t use the IPVS proxier',
      verify: { proxyMode: 'iptables', ipvsServices: 0, tcp: { target: '10.96.0.1:443', ok: true } }, removed: { chains: 12 } } }]);
    const text = blocksToText(v.blocks).join('\n');
    expect(text).toContain(':x: *w1 failed verification*');
    expect(text).toContain('/proxyMode iptables');
    expect(text).toContain('Cleanup: removed 12 chains');
    expect(text).toContain('can\'t use the IPVS proxier');
    expect(text).toMatch(/Errors: the kube-proxy log has no "Using ipvs Proxier" line/);
  });

  it('prep summary: counts, then only the nodes with something to say, then the notes; text is a sentence', () => {
    const ok = (i: number) => ({ node: `w${i}`, phase: 'prep', ok: true, result: { kernel: '5.15', modules: { ip_vs: 'loaded' } } });
    const v = prepSummaryView([ok(1), { node: 'w2', phase: 'prep', ok: false, result: { modules: { ip_vs: 'loaded', ip_vs_sh: 'missing' }, errors: ['modprobe ip_vs_sh failed'] } }, ok(3),
      { node: 'w4', phase: 'prep', ok: true, result: { foreignIpvsServicesCount: 2 } }], ['Snapshot saved.'], 4);
    const text = blocksToText(v.blocks).join('\n');
    expect(text).toContain('Prep finished: 3 of 4 node(s) ready, 1 failed');
    expect(text).toContain('*w2* failed: modprobe ip_vs_sh failed; modules missing: ip_vs_sh');
    expect(text).toContain('*w4*: 2 IPVS services not created by Kubernetes');
    expect(text).not.toMatch(/\*w1\*|\*w3\*/);
    expect(v.text).toBe('Prep finished: 3 of 4 node(s) ready, 1 failed. Failed: w2 (modprobe ip_vs_sh failed). Snapshot saved.');
  });

  it('a run that stopped before the switch says so, not "Rolled back"', () => {
    const r = run({ state: 'rolled_back' });
    r.reason = 'step prepare-nodes failed: Stopped before the switch: ip_vs_sh is missing on w2';
    r.stepsStarted = ['approval', 'prepare-nodes'];
    r.nodes = [{ node: 'w2', phase: 'prep', ok: false }];
    const card = runCard(r);
    const text = blocksToText(card.blocks).join('\n');
    expect(text).toContain('Stopped before the switch, nothing changed');
    expect(text).not.toContain('Rolled back');
    expect(card.text).toContain('Stopped before the switch, nothing changed');
    // Once the switch ran, it was a rollback.
    r.stepsStarted = ['approval', 'prepare-nodes', 'snapshot', 'switch', 'rollout:0'];
    expect(blocksToText(runCard(r).blocks).join('\n')).toContain('Rolled back');
  });

  it('modals, help and status render', () => {
    const meta = { runId: 'run-1', digest: 'd', channel: 'C1', ts: '1.2', cluster: 'prod-eu' };
    expect(approveModal(meta)).toMatchSnapshot();
    expect(JSON.stringify(rejectModal(meta))).toContain('"multiline":true');
    expect(helpView().blocks.length).toBeGreaterThan(2);
    expect(blocksToText(statusView([run()]).blocks).join('\n')).toContain('run-1');
    expect(statusView([], 'x').text).toBe('No runs found for `x`.');
    const many = Array.from({ length: 400 }, (_, i) => ({ ts: `2026-11-25T10:${String(i % 60).padStart(2, '0')}:00.000Z`, actor: i % 2 ? 'U0BOB' : 'system', type: `step.succeeded`, summary: `step=rollout:${i}` }));
    const withTimeline = blocksToText(statusView([run()], 'run-1', many).blocks).join('\n');
    expect(withTimeline).toContain('Timeline');
    expect(withTimeline).toContain('step=rollout:399'); // newest kept
    expect(withTimeline).not.toContain('step=rollout:0\n'); // oldest dropped to fit the section
  });
});
