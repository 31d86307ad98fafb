// Issue #4 end to end with the real workflow: slash command → plan card → Approve by another user →
// migration on the HTTP sandbox → live card, per-node results in the thread, broadcast result; then the
// approval-gated rollback, /ipvs status and /ipvs clusters answering from the live cluster, and the audit export.
// Issue #11: the same suite over both of Bolt's receivers, HTTP (signed requests) and Socket Mode (envelopes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksToText } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, CHANNEL, E2e, MODES } from '../support/e2e-harness.js';

describe.each(MODES)('e2e over %s: migrate and roll back through Slack', (mode) => {
  let e: E2e;
  let migrateRunId = '';
  let rollbackRunId = '';
  beforeAll(async () => { e = await E2e.start({ mode }); });
  afterAll(async () => { await e?.stop(); });
  const cardText = (ts: string) => blocksToText(e.card(ts).blocks).join('\n');

  it('plan → approve by another user → migrated: ConfigMap ipvs, every kube-proxy logs "Using ipvs Proxier", checklist, thread, broadcast', async () => {
    const { ack, card, runId } = await e.plan('plan sandbox --scheduler rr');
    migrateRunId = runId;
    expect(ack.status).toBe(200);
    // The plan card shows what will change before anyone approves.
    const plan = cardText(card.ts);
    expect(plan).toMatch(/Awaiting approval/);
    expect(plan).toMatch(/iptables → ipvs/);
    expect(plan).toMatch(/k8s-worker-2/);
    expect(plan).toMatch(/\+mode: "?ipvs"?/);
    expect(e.run(runId).state).toBe('awaiting_approval');
    expect(e.configMapMode()).toBe('');

    const bobSaw = e.slack.ephemeralsFor(BOB).length;
    const click = await e.click(BOB, card, 'Approve');
    expect(click.status).toBe(200);
    expect((await e.nextEphemeral(BOB, bobSaw)).text).toMatch(/Approved \(1\/1\)/);

    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('succeeded');
    expect(done.approvals.map((a) => a.user)).toEqual([BOB]);

    // The cluster.
    expect(e.configMapMode()).toBe('ipvs');
    const logs = await e.kubeProxyLogs();
    expect(logs.size).toBe(3);
    for (const [node, log] of logs) expect(log, node).toContain('Using ipvs Proxier');
    for (const n of e.sandbox().cluster.nodes) expect(e.sandbox().cluster.host(n.name).proxyMode, n.name).toBe('ipvs');

    // The same message became the succeeded checklist (edited in place, no second card).
    const final = e.card(card.ts);
    expect(final.edits).toBeGreaterThan(0);
    const text = cardText(card.ts);
    expect(text).toMatch(/:white_check_mark: Succeeded/);
    expect(text).toMatch(/:white_check_mark: Switch config.conf/);
    expect(text).toMatch(/verified: 3\/3 ok/);
    expect(text).not.toMatch(/:x:|:hourglass_flowing_sand:/);
    expect(e.slack.topLevel(CHANNEL).filter((m) => m.blocks && blocksToText(m.blocks).some((l) => l.includes(runId)))).toHaveLength(1);

    // A quiet thread (issue #15): one prep summary, one reply per node with its proxier line, the final message.
    const thread = e.thread(card.ts);
    const nodes = e.sandbox().cluster.nodes;
    expect(thread.filter((m) => /^Prep finished: 3 of 3 node\(s\) ready/.test(m.text))).toHaveLength(1);
    for (const n of nodes) {
      const own = thread.filter((m) => m.text.includes(`${n.name} switched and verified`));
      expect(own, `${n.name} reply`).toHaveLength(1);
      expect(JSON.stringify(own[0]!.blocks ?? ''), n.name).toContain('Using ipvs Proxier');
    }
    expect(thread.length).toBeLessThanOrEqual(nodes.length + 2);
    // The final result is broadcast to the channel, once.
    const broadcasts = thread.filter((m) => m.reply_broadcast);
    expect(broadcasts).toHaveLength(1);
    expect(broadcasts[0]!.text).toMatch(/Succeeded.*sandbox.*iptables → ipvs/);
    expect(broadcasts[0]!.text).toContain(runId);
  });

  it('/ipvs status and /ipvs clusters answer with live data', async () => {
    const before = e.slack.ephemeralsFor(ALICE).length;
    await e.command(ALICE, 'status sandbox');
    const status = await e.slack.waitFor(() => e.slack.ephemeralsFor(ALICE).slice(before).find((x) => x.text.includes(migrateRunId) || JSON.stringify(x.blocks ?? '').includes(migrateRunId)), 15_000, 'the status answer');
    expect(JSON.stringify(status.blocks ?? status.text)).toMatch(/[Ss]ucceeded/);

    // Someone flips the mode behind the bot's back: /ipvs clusters must read it from the cluster, not the DB.
    const { setModeBehindBotsBack } = await import('../../src/sandbox/cluster-faults.js');
    setModeBehindBotsBack(e.sandbox().store, 'nftables');
    const n = e.slack.ephemeralsFor(ALICE).length;
    await e.command(ALICE, 'clusters');
    // The recommendation names nftables on every cluster, so look for the mode itself, not for the word.
    const modeShown = (x: { text: string; blocks?: unknown }, mode: string) => JSON.stringify(x.blocks ?? x.text).includes('kube-proxy mode `' + mode + '`');
    const clusters = await e.slack.waitFor(() => e.slack.ephemeralsFor(ALICE).slice(n).find((x) => modeShown(x, 'nftables')), 15_000, 'the clusters answer with nftables');
    expect(JSON.stringify(clusters.blocks ?? clusters.text)).toContain('sandbox');
    setModeBehindBotsBack(e.sandbox().store, 'ipvs');
    const m = e.slack.ephemeralsFor(ALICE).length;
    await e.command(ALICE, 'clusters');
    await e.slack.waitFor(() => e.slack.ephemeralsFor(ALICE).slice(m).find((x) => modeShown(x, 'ipvs')), 15_000, 'the clusters answer with ipvs');
  });

  it('rollback is approval-gated and brings every node back to iptables', async () => {
    const uidsBefore = e.kubeProxyPodUids();
    const { card, runId } = await e.plan('rollback sandbox');
    rollbackRunId = runId;
    expect(cardText(card.ts)).toMatch(/Rollback of sandbox: kube-proxy ipvs → iptables/);
    // Nothing moves until someone approves.
    await new Promise((r) => setTimeout(r, 300));
    expect(e.run(runId).state).toBe('awaiting_approval');
    expect(e.kubeProxyPodUids()).toEqual(uidsBefore);
    expect(e.configMapMode()).toBe('ipvs');

    await e.click(BOB, card, 'Approve');
    const done = await e.settle(runId);
    expect(done.state, done.reason).toBe('succeeded');
    expect(done.kind).toBe('rollback');
    expect(e.configMapMode()).toBe('');
    const logs = await e.kubeProxyLogs();
    for (const [node, log] of logs) expect(log, node).toContain('Using iptables Proxier');
    for (const n of e.sandbox().cluster.nodes) expect(e.sandbox().cluster.host(n.name).proxyMode, n.name).toBe('iptables');
    expect(cardText(card.ts)).toMatch(/Succeeded/);
    expect(e.thread(card.ts).filter((m) => m.reply_broadcast).map((m) => m.text).join('\n')).toMatch(/Succeeded.*ipvs → iptables/);
  });

  it('/ipvs audit export uploads every run\'s events with the chain head; each command was handled once', async () => {
    const filesBefore = e.slack.files.size;
    await e.command(ALICE, 'audit export sandbox --format jsonl');
    const file = await e.slack.waitFor(() => { const f = [...e.slack.files.values()][filesBefore]; return f?.content ? f : undefined; }, 30_000, 'the audit file');
    const lines = file.content!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { type?: string; run_id?: string; runId?: string; head?: string });
    const manifest = lines.at(-1)!;
    expect(manifest.type).toBe('manifest');
    expect(manifest.head).toMatch(/^[0-9a-f]{64}$/);
    const text = file.content!.toString('utf8');
    expect(text).toContain(migrateRunId);
    expect(text).toContain(rollbackRunId);
    // One run per /ipvs plan|rollback, one approval per click: nothing was lost or applied twice on the way in.
    expect(e.rt.engine.listRuns({ cluster: 'sandbox' }).map((r) => r.runId).sort()).toEqual([migrateRunId, rollbackRunId].sort());
    for (const id of [migrateRunId, rollbackRunId]) expect(e.audit(id).filter((a) => a.type === 'approval.recorded').map((a) => a.actor), id).toEqual([BOB]);
    if (e.socket) expect([...e.socket.deliveries.values()].every((d) => d.acks.length === 1), 'every envelope acked once').toBe(true);
  });
});
