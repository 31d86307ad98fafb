// Issue #13 items 2-3 end to end: three sandbox clusters at different versions and modes behind the real runtime;
// `/ipvs fleet` (signed requests into the real Bolt app) shows one row each, most urgent first, and as CSV; a wave
// run moves them wave by wave and stops at the cluster whose prep Jobs fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksToText, buttonsIn, type StoredMessage } from '../../src/slack-stand-in/index.js';
import { startInMode } from '../../src/sandbox/fleet-sandboxes.js';
import { ALICE, BOB, CAROL, CHANNEL, E2e } from '../support/e2e-harness.js';

const MODERN = '6.1.0-27-amd64';

describe('e2e: fleet view and waves over three sandbox clusters', () => {
  let e: E2e;
  beforeAll(async () => {
    e = await E2e.start({ clusters: [
      { name: 'dev-1', sandbox: { kubernetesVersion: 'v1.35.0', kernel: MODERN }, yaml: { wave: 1 } },
      { name: 'staging-1', sandbox: { kubernetesVersion: 'v1.30.4', kernel: MODERN }, yaml: { wave: 2 } },
      { name: 'prod-1', sandbox: { kubernetesVersion: 'v1.28.7', kernel: MODERN }, yaml: { wave: 3, production: true } },
    ] });
    await startInMode(e.sandbox('dev-1'), 'ipvs');
    await startInMode(e.sandbox('staging-1'), 'ipvs');
    await startInMode(e.sandbox('prod-1'), 'ipvs');
    // staging's mode is reset to "unset" for the fleet view; the wave run below puts it back in ipvs first.
    const { setModeBehindBotsBack } = await import('../../src/sandbox/cluster-faults.js');
    setModeBehindBotsBack(e.sandbox('staging-1').store, '');
  }, 120_000);
  afterAll(async () => { await e?.stop(); });

  it('/ipvs fleet: one row per cluster with versions, mode, nodes, kernels, recommendation, releases left; most urgent first', async () => {
    const n = e.slack.ephemeralsFor(ALICE).length;
    expect((await e.command(ALICE, 'fleet')).status).toBe(200);
    const answer = await e.slack.waitFor(() => e.slack.ephemeralsFor(ALICE).slice(n).find((x) => /Fleet/.test(x.text) && x.blocks), 30_000, 'the fleet view');
    const lines = blocksToText(answer.blocks as never).join('\n');
    const at = (c: string) => lines.indexOf(`*${c}*`);
    // dev-1: 1.35 in IPVS, 5 releases to 1.40; staging-1: unset mode, 10 releases to nftables-by-default; prod-1: 1.28 IPVS, 12.
    expect(at('dev-1')).toBeGreaterThan(-1);
    expect(at('dev-1')).toBeLessThan(at('staging-1'));
    expect(at('staging-1')).toBeLessThan(at('prod-1'));
    expect(lines).toMatch(/\*dev-1\* · wave 1: Kubernetes v1\.35\.0, kube-proxy v1\.35, mode `ipvs \(ConfigMap\)`, 3 node\(s\), kernels 6\.1/);
    expect(lines).toMatch(/Recommended: \*nftables\*[\s\S]*Releases left: \*5\* — IPVS off by default in 1\.40/);
    expect(lines).toMatch(/\*staging-1\* · wave 2: Kubernetes v1\.30\.4[^\n]*mode `iptables \(ConfigMap\)`[\s\S]*Recommended: \*iptables\* \(already\)[\s\S]*Releases left: \*10\* — mode unset/);
    expect(lines).toMatch(/\*prod-1\* \(production\) · wave 3: Kubernetes v1\.28\.7[^\n]*`ipvs \(ConfigMap\)`[\s\S]*Releases left: \*12\*/);
    expect(lines).toMatch(/last run: never/);
  });

  it('/ipvs fleet --csv uploads the rows as a CSV file', async () => {
    const before = e.slack.files.size;
    await e.command(ALICE, 'fleet --csv');
    const file = await e.slack.waitFor(() => { const f = [...e.slack.files.values()][before]; return f?.content ? f : undefined; }, 30_000, 'the fleet CSV');
    const rows = String(file.content).trim().split('\r\n');
    expect(rows[0]).toMatch(/^cluster,production,wave,reachable,/);
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['dev-1', 'staging-1', 'prod-1']);
    expect(rows[1]).toMatch(/^dev-1,false,1,true,,v1\.35\.0,v1\.35,ipvs,configmap,,3,6\.1,nftables,/);
  });

  it('a wave run moves wave 1, opens wave 2 only then, and stops at the failing cluster: wave 3 cannot be approved', async () => {
    const { setModeBehindBotsBack } = await import('../../src/sandbox/cluster-faults.js');
    setModeBehindBotsBack(e.sandbox('staging-1').store, 'ipvs');
    const before = e.slack.topLevel(CHANNEL).length;
    expect((await e.command(ALICE, 'plan --clusters dev-1,staging-1,prod-1 --mode iptables')).status).toBe(200);
    const cards = await e.slack.waitFor(() => { const c = e.slack.topLevel(CHANNEL).slice(before).filter((m) => /wave \d\/3/.test(m.text)); return c.length === 3 ? c : undefined; }, 30_000, 'three wave cards');
    const text = (m: StoredMessage) => blocksToText(e.card(m.ts).blocks).join('\n');
    const [w1, w2, w3] = cards as [StoredMessage, StoredMessage, StoredMessage];
    // A forged (or stale) click on wave 3's Approve, built from wave 1's real button: the bot must refuse it later.
    const forged = e.driver.clickPayload(BOB, { channel: CHANNEL, ts: w1.ts }, 'Approve wave 1') as { actions: { value: string }[]; container: { message_ts: string }; message: { ts: string } };
    forged.actions[0]!.value = forged.actions[0]!.value.replace('"w":1', '"w":3');
    forged.container.message_ts = w3.ts; forged.message.ts = w3.ts;
    expect(buttonsIn(w1.blocks).map((b) => b.text)).toEqual(['Approve wave 1']);
    expect(buttonsIn(w2.blocks)).toHaveLength(0);
    expect(text(w2)).toMatch(/waits for wave 1 to succeed/);

    // The requester may not approve her own runs, even through a wave.
    const aliceSaw = e.slack.ephemeralsFor(ALICE).length;
    await e.click(ALICE, w1, 'Approve wave 1');
    expect((await e.nextEphemeral(ALICE, aliceSaw)).text).toMatch(/You requested this run/);

    await e.click(BOB, w1, 'Approve wave 1');
    const devRun = await e.slack.waitFor(() => [...e.rt.engine.listRuns({ cluster: 'dev-1', limit: 1 })][0], 10_000, 'dev run');
    expect((await e.settle(devRun.runId)).state).toBe('succeeded');
    expect(e.configMapMode('dev-1')).toBe('iptables');
    expect(e.configMapMode('prod-1')).toBe('ipvs');
    await e.slack.waitFor(() => buttonsIn(e.card(w2.ts).blocks).some((b) => b.text === 'Approve wave 2'), 15_000, 'wave 2 opens');
    expect(text(w1)).toMatch(/Succeeded/);

    // staging-1's kube-proxy crash-loops on one node once switched: verification fails and the run rolls back
    // by itself (the fault is lifted once the rollback starts, as in drift-and-failure.test.ts).
    const bad = 'k8s-worker-1';
    const sb = e.sandbox('staging-1');
    sb.cluster.faults.crashKubeProxyOn(bad);
    await e.click(CAROL, e.card(w2.ts), 'Approve wave 2');
    const stagingRun = e.rt.engine.listRuns({ cluster: 'staging-1', limit: 1 })[0]!;
    await e.slack.waitFor(() => {
      const r = e.rt.engine.getRun(stagingRun.runId);
      return r && (r.state === 'rolling_back' || r.nodes.some((x) => x.node === bad && x.ok === false)) ? r : undefined;
    }, 60_000, 'staging-1 fails on its bad node');
    sb.cluster.faults.crashKubeProxyOn(bad, false);
    const failed = await e.settle(stagingRun.runId);
    expect(failed.state).toBe('rolled_back');
    await e.slack.waitFor(() => /Not started/.test(text(w3)) ? true : undefined, 15_000, 'wave 3 closed');
    expect(text(w3)).toMatch(/stopped at wave 2/);
    expect(buttonsIn(e.card(w3.ts).blocks)).toHaveLength(0);
    expect(text(w2)).toMatch(/Failed — staging-1/);

    // The forged click on wave 3 is refused with the reason, and nothing starts there.
    const bobSaw = e.slack.ephemeralsFor(BOB).length;
    expect((await e.driver.post(new URLSearchParams({ payload: JSON.stringify(forged) }).toString())).status).toBe(200);
    expect((await e.nextEphemeral(BOB, bobSaw)).text).toMatch(/Wave 3 cannot be approved: the fleet run stopped at wave 2/);
    const prodRun = e.rt.engine.listRuns({ cluster: 'prod-1', limit: 1 })[0]!;
    expect(prodRun.state).toBe('awaiting_approval');
    expect(prodRun.approvals).toHaveLength(0);
    expect(e.audit().filter((a) => a.type === 'fleet.wave_refused').at(-1)).toMatchObject({ actor: BOB, payload: { wave: 3, why: 'the fleet run stopped at wave 2' } });
    expect(e.configMapMode('prod-1')).toBe('ipvs');

    // The fleet view now reads dev-1's mode from its nodes' /proxyMode (the verify Jobs) and shows the last runs.
    const n = e.slack.ephemeralsFor(ALICE).length;
    await e.command(ALICE, 'fleet');
    const answer = await e.slack.waitFor(() => e.slack.ephemeralsFor(ALICE).slice(n).find((x) => /Fleet/.test(x.text) && x.blocks), 30_000, 'the fleet view');
    const lines = blocksToText(answer.blocks as never).join('\n');
    expect(lines).toMatch(/\*dev-1\* · wave 1:[^\n]*mode `iptables \(\/proxyMode\)`[\s\S]*?last run: migrate succeeded/);
    expect(lines).toMatch(/\*staging-1\* · wave 2:[^\n]*mode `ipvs \(\/proxyMode\)`[\s\S]*?last run: migrate rolled_back/);
    expect(lines).toMatch(/\*prod-1\*[\s\S]*?last run: migrate awaiting_approval/);
  });
});

describe('e2e: a production cluster in a wave still needs its typed name', () => {
  let e: E2e;
  beforeAll(async () => {
    e = await E2e.start({ clusters: [
      { name: 'dev-2', sandbox: { kubernetesVersion: 'v1.35.0', kernel: MODERN }, yaml: { wave: 1 } },
      { name: 'prod-2', sandbox: { kubernetesVersion: 'v1.35.0', kernel: MODERN }, yaml: { wave: 2, production: true } },
    ] });
  }, 120_000);
  afterAll(async () => { await e?.stop(); });

  it('plan --clusters "*-2": wave 1 then wave 2 through the typed-name modal; both clusters end in the target mode', async () => {
    const before = e.slack.topLevel(CHANNEL).length;
    await e.command(ALICE, 'plan --clusters *-2 --mode nftables');
    const cards = await e.slack.waitFor(() => { const c = e.slack.topLevel(CHANNEL).slice(before).filter((m) => /wave \d\/2/.test(m.text)); return c.length === 2 ? c : undefined; }, 30_000, 'two wave cards');
    const [w1, w2] = cards as [StoredMessage, StoredMessage];
    await e.click(BOB, w1, 'Approve wave 1');
    const dev = await e.slack.waitFor(() => e.rt.engine.listRuns({ cluster: 'dev-2', limit: 1 })[0], 10_000, 'dev run');
    expect((await e.settle(dev.runId)).state).toBe('succeeded');
    // Wave 1's cluster got its own live card, as any run does.
    expect(e.run(dev.runId).message?.ts).toBeDefined();
    await e.slack.waitFor(() => buttonsIn(e.card(w2.ts).blocks).some((b) => b.text === 'Approve wave 2') || undefined, 15_000, 'wave 2 opens');

    await e.click(CAROL, e.card(w2.ts), 'Approve wave 2');
    const modal = await e.slack.waitFor(() => e.driver.lastViewFor(CAROL), 10_000, 'the typed-name modal');
    expect(JSON.stringify(modal.view)).toContain('prod-2');
    const wrong = await e.driver.submitView(CAROL, modal.id, { 'wave_name_prod-2': { value: 'prod-3' } });
    expect(wrong.text).toMatch(/Type the cluster name exactly: prod-2/);
    const prod = e.rt.engine.listRuns({ cluster: 'prod-2', limit: 1 })[0]!;
    expect(e.run(prod.runId).state).toBe('awaiting_approval');
    expect((await e.driver.submitView(CAROL, modal.id, { 'wave_name_prod-2': { value: 'prod-2' } })).status).toBe(200);
    expect((await e.settle(prod.runId)).state).toBe('succeeded');
    expect(e.configMapMode('dev-2')).toBe('nftables');
    expect(e.configMapMode('prod-2')).toBe('nftables');
    await e.slack.waitFor(() => /Succeeded/.test(blocksToText(e.card(w2.ts).blocks).join('\n')) || undefined, 15_000, 'wave 2 card succeeded');
  });
});

describe('e2e: a fleet plan keeps each cluster\'s channel restriction (issue #14 item 2)', () => {
  let e: E2e;
  beforeAll(async () => {
    e = await E2e.start({ clusters: [
      { name: 'dev-3', sandbox: { kubernetesVersion: 'v1.35.0', kernel: MODERN } },
      { name: 'ops-3', sandbox: { kubernetesVersion: 'v1.35.0', kernel: MODERN }, yaml: { channels: ['C0ELSEWHERE'] } },
    ] });
  }, 120_000);
  afterAll(async () => { await e?.stop(); });

  it('plan --clusters "*-3" from this channel plans dev-3 only and says ops-3 is managed elsewhere', async () => {
    const n = e.slack.ephemeralsFor(ALICE).length;
    await e.command(ALICE, 'plan --clusters *-3 --mode nftables');
    const note = await e.slack.waitFor(() => e.slack.ephemeralsFor(ALICE).slice(n).find((m) => /left out/.test(m.text)), 60_000, 'the left-out note');
    expect(note.text).toMatch(/ops-3: managed from other channels/);
    await e.slack.waitFor(() => e.rt.engine.listRuns({ cluster: 'dev-3', limit: 1 })[0], 30_000, 'dev-3 planned');
    expect(e.rt.engine.listRuns({ cluster: 'ops-3' })).toEqual([]);
  });
});
