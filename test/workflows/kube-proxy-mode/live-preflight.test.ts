// live-preflight.ts: the prep Jobs' `live` readings (lib.sh live_metrics) summed per cluster and judged per target.
import { describe, expect, it } from 'vitest';
import { liveChecks, summariseLive } from '../../../src/workflows/kube-proxy-mode/live-preflight.js';
import { PrepResult } from '../../../src/workflows/kube-proxy-mode/node-results.js';

const prep = (live: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) =>
  PrepResult.parse({ ok: true, errors: [], ...(live ? { live } : {}), ...extra });
const reading = (o: Partial<{ lh: number | null; ct: number | null; sync: number | null; nat: number; filter: number }>) => ({
  metricsStatus: 200, localhostNodePortPackets: o.lh ?? null, ctStateInvalidDrops: o.ct ?? null, syncDurationMs: o.sync ?? null, syncs: 3,
  iptablesRules: o.nat === undefined ? null : { nat: o.nat, filter: o.filter ?? 0 },
});

describe('live pre-flight', () => {
  const results = {
    a: prep(reading({ lh: 0, ct: 5, sync: 40, nat: 1000, filter: 10 })),
    b: prep(reading({ lh: 7, ct: 0, sync: 120, nat: 1200, filter: 12 })),
    c: prep(reading({ lh: 300, ct: 0, sync: 80, nat: 900, filter: 9 })),
    d: prep({ metricsStatus: null }),
  };

  it('sums the counters, lists the nodes that have any (largest first) and names the unreadable ones', () => {
    const s = summariseLive(results, 'ipvs')!;
    expect(s.read).toBe(3);
    expect(s.unreadable).toEqual(['d']);
    expect(s.localhostNodePorts).toEqual({ total: 307, count: 2, nodes: [{ node: 'c', value: 300 }, { node: 'b', value: 7 }] });
    expect(s.ctStateInvalidDrops).toEqual({ total: 5, count: 1, nodes: [{ node: 'a', value: 5 }] });
    expect(s.syncMs).toEqual({ avg: 80, max: { node: 'b', value: 120 } });
    expect(s.iptablesRules).toEqual({ total: 3131, max: { node: 'b', value: 1212 } });
    expect(s.nftVersions).toBeUndefined();
  });

  it('warns about localhost NodePorts only when leaving iptables; ct-invalid drops only for nftables', () => {
    const ids = (mode: 'ipvs' | 'nftables' | 'iptables') => liveChecks(summariseLive(results, mode), mode).map((c) => `${c.id}:${c.verdict}`);
    expect(ids('ipvs')).toEqual(['localhost-nodeports:warn', 'live-metrics:warn', 'live-scale:pass']);
    expect(ids('nftables')).toEqual(['localhost-nodeports:warn', 'live-ct-invalid:warn', 'live-metrics:warn', 'live-scale:pass']);
    expect(ids('iptables')).toEqual(['live-metrics:warn', 'live-scale:pass']);
    const lh = liveChecks(summariseLive(results, 'ipvs'), 'ipvs')[0]!;
    expect(lh.nodes).toEqual(['c', 'b']);
    expect(lh.message).toMatch(/^kube-proxy accepted 307 packets on localhost NodePorts \(127\.0\.0\.1:<nodePort>\) on 2 node\(s\) \(c 300, b 7\); IPVS mode/);
  });

  it('a kube-proxy without the counters: the hazard could not be read, said so; no reading at all: nothing', () => {
    const old = { a: prep(reading({ sync: 40 })) };
    const c = liveChecks(summariseLive(old, 'nftables'), 'nftables', 28);
    expect(c[0]).toMatchObject({ id: 'localhost-nodeports', verdict: 'warn' });
    expect(c[0]!.nodes).toBeUndefined(); // nothing to confirm: the run does not pause on it
    expect(c[0]!.message).toMatch(/kube-proxy 1\.28 exports no localhost NodePort counter/);
    expect(summariseLive({ a: prep(undefined) }, 'ipvs')).toBeUndefined();
    expect(liveChecks(undefined, 'ipvs')).toEqual([]);
  });

  it('a full sync that takes half the first-sync deadline already is a warning', () => {
    const slow = { a: prep(reading({ sync: 35_000 })) };
    expect(liveChecks(summariseLive(slow, 'iptables'), 'iptables', 31, 60_000).map((c) => c.id)).toContain('live-sync-time');
    expect(liveChecks(summariseLive(slow, 'iptables'), 'iptables', 31, 120_000).map((c) => c.id)).not.toContain('live-sync-time');
  });

  it('nftables: counts the nft versions the prep Jobs found', () => {
    const r = { a: prep(reading({}), { nftables: { nftVersion: 'nftables v1.0.6 (Lester Gooch #5)' } }), b: prep(reading({}), { nftables: { nftVersion: null } }) };
    expect(summariseLive(r, 'nftables')!.nftVersions).toEqual({ '1.0.6': 1, none: 1 });
  });
});
