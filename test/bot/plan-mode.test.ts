// `/ipvs plan … --mode nftables` over signed HTTP reaches the Workflows API as PlanInput.targetMode (issue #7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksToText } from '../../src/slack-stand-in/block-text.js';
import { CHANNEL, startHarness, USERS, type Harness } from './harness.js';

describe('/ipvs plan --mode', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  it('--mode nftables plans iptables → nftables; a bad mode is refused in the ack and never planned', async () => {
    const before = h.workflows.runs.size;
    const bad = await h.driver.command(USERS.requester, CHANNEL, 'plan cluster-a --mode userspace');
    expect(String(bad.json?.text)).toMatch(/--mode userspace.*iptables, ipvs, nftables/);
    expect(h.workflows.runs.size).toBe(before);

    await h.driver.command(USERS.requester, CHANNEL, 'plan cluster-a --mode nftables --batch 2');
    const card = await h.slack.waitFor(() => h.slack.topLevel(CHANNEL).find((m) => m.text.includes('cluster-a') && m.text.includes('nftables')), 5000, 'card');
    expect(blocksToText(card.blocks).join('\n')).toContain('kube-proxy iptables → nftables');
    const run = await h.slack.waitFor(() => [...h.workflows.runs.values()].find((x) => x.message?.ts === card.ts), 5000, 'attach');
    expect(run.plan.input).toMatchObject({ targetMode: 'nftables', batch: 2 });
    await h.workflows.cancel(run.runId, USERS.requester);
  });
});
