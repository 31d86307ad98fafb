// The plan card's advice (issue #7), from a plan assembled by the real pure planner over cluster facts.
import { describe, expect, it } from 'vitest';
import { blocksToText } from '../../src/slack-stand-in/block-text.js';
import { runCard } from '../../src/bot/views/run-card.js';
import { clustersView } from '../../src/bot/views/status-view.js';
import { assemblePlan } from '../../src/workflows/kube-proxy-mode/plan.js';
import { PlanInput, type RunStatus } from '../../src/workflows/kube-proxy-mode/api.js';
import { aCluster, aNode, fixedClock, POLICY } from '../fixtures/builders/cluster-facts.js';

function card(version: string, target: PlanInput['targetMode'], kernels: string[] = ['6.1.0-27-amd64', '6.1.0-27-amd64', '6.1.0-27-amd64']): string {
  const nodes = kernels.map((k, i) => aNode(i === 0 ? 'cp-1' : `worker-${i}`, { kernelVersion: k }));
  const plan = assemblePlan(aCluster({ version, nodes }), PlanInput.parse({ targetMode: target }), POLICY, fixedClock());
  const status: RunStatus = {
    runId: 'run-1', cluster: 'cluster-a', kind: 'migrate', state: 'awaiting_approval', requester: 'U0REQ',
    approvals: [], requiredApprovals: 1, plan, nodes: [], createdAt: plan.createdAt, updatedAt: plan.createdAt,
  };
  return blocksToText(runCard(status).blocks).join('\n');
}

describe('plan card advice', () => {
  it('1.30, IPVS asked: recommends iptables (nftables needs 1.31+), IPVS deprecated from 1.35', () => {
    const text = card('v1.30.4', 'ipvs');
    expect(text).toMatch(/Advice/);
    expect(text).toMatch(/Recommended: iptables — kube-proxy 1\.30 predates nftables beta \(1\.31, GA in 1\.33\).*This plan asks for ipvs/);
    expect(text).toMatch(/IPVS mode is deprecated upstream from 1\.35 \(KEP-5495\)/);
  });

  it('1.35, IPVS asked: recommends nftables with its reason; deprecation warning with the IPVSDeprecation event', () => {
    const text = card('v1.35.0', 'ipvs');
    expect(text).toMatch(/Recommended: nftables — every node runs kernel 5\.13 or later and kube-proxy 1\.35 has nftables GA/);
    expect(text).toMatch(/IPVSDeprecation Warning event/);
    expect(text).toMatch(/NodePorts on 127\.0\.0\.1 work only in iptables mode/);
    expect(text).toMatch(/externalTrafficPolicy: Local/);
  });

  it('1.40, IPVS asked: the KubeProxyIPVS feature gate note; nftables asked with a 5.10 node: that node is named', () => {
    expect(card('v1.40.0', 'ipvs')).toMatch(/needs featureGates: \{KubeProxyIPVS: true\}/);
    const nft = card('v1.40.0', 'nftables', ['6.1.0-27-amd64', '5.10.0-28-amd64', '6.1.0-27-amd64']);
    expect(nft).toMatch(/Recommended: iptables — 1 of 3 nodes run a kernel older than 5\.13 \(worker-1\)/);
    expect(nft).toMatch(/too old: worker-1 \(5\.10\.0-28-amd64\)/);
    expect(nft).toMatch(/kernel-nftables.*worker-1/);
  });

  it('when the plan follows the recommendation the card says so', () => {
    expect(card('v1.35.0', 'nftables')).toMatch(/:white_check_mark: \*?Recommended: nftables/);
  });

  it('/ipvs clusters shows each cluster\'s recommendation', () => {
    const v = clustersView([
      { name: 'cluster-a', mode: 'iptables', production: false, recommendation: 'nftables — every node runs kernel 5.13 or later' },
      { name: 'cluster-b', mode: 'ipvs', production: true, recommendation: 'iptables — 2 of 9 nodes run a kernel older than 5.13' },
      { name: 'cluster-c', mode: 'unknown', production: false, error: 'unreachable' },
    ]);
    const text = blocksToText(v.blocks).join('\n');
    expect(text).toMatch(/cluster-a.*iptables.*recommended: nftables — every node/);
    expect(text).toMatch(/cluster-b\*? \(production\).*ipvs.*recommended: iptables — 2 of 9/);
    expect(text).not.toMatch(/cluster-c.*recommended/);
  });
});
