// Real-host tier: settle.sh, the real script, against a stand-in for kube-proxy's /healthz and /metrics inside the
// namespace (node-services.mjs, in upstream's formats): already synced, synced after a while (healthz 503 first),
// and stuck. The Job image is netshoot (curl); this host has curl too (and wget, and bash's /dev/tcp as fallback).
import { expect, it } from 'vitest';
import { runInNetns } from './support/netns.js';
import { describeHost } from './support/tier.js';

function settle(syncAfterReads: number | null, o: { timeoutMs?: number; healthTimeoutMs?: number; healthz?: string } = {}) {
  return runInNetns({
    phase: 'settle', backend: 'iptables-nft', setup: 'true',
    input: { targetMode: 'nftables', attempt: 'fwd', settle: { metricsAddress: '127.0.0.1:10249', healthzAddress: o.healthz ?? '127.0.0.1:10256', timeoutMs: o.timeoutMs ?? 3000, pollMs: 100 } },
    services: { kubeProxy: [{ metrics: { host: '127.0.0.1', port: 10249 }, healthz: { host: '0.0.0.0', port: 10256 }, syncAfterReads, healthTimeoutMs: o.healthTimeoutMs ?? 60_000 }] },
  }).result;
}

describeHost('real-host tier: settle waits for kube-proxy\'s first sync', () => {
  it('returns at once for a kube-proxy that synced after it started', () => {
    const r = settle(0);
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ ok: true, synced: true, healthz: { status: 200 }, metricsStatus: 200, syncDurationMs: 250 });
    expect(r.syncedAt as number).toBeGreaterThanOrEqual(r.startedAt as number);
  });

  it('waits through 503s for one that syncs later', () => {
    const r = settle(4, { healthTimeoutMs: 0, timeoutMs: 20_000 });
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ ok: true, synced: true, healthz: { status: 200 } });
    expect(r.polls).toBe(4);
  });

  it('fails a stuck kube-proxy with the reason, after its deadline', () => {
    const r = settle(null, { timeoutMs: 1000, healthTimeoutMs: 200 });
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual(['kube-proxy did not sync within 1s: /healthz 503']);
    expect(r).toMatchObject({ synced: false, syncedAt: null, healthz: { status: 503, lastUpdated: '0001-01-01 00:00:00 +0000 UTC' } });
    expect(r.waitedMs as number).toBeGreaterThanOrEqual(1000);
  });

  it('names an address nothing answers on', () => {
    const r = settle(0, { timeoutMs: 300, healthz: '127.0.0.1:10999' });
    expect(r.ok).toBe(true); // /metrics decides; /healthz is only reported
    expect(r.healthz).toEqual({ status: null, lastUpdated: '' });
  });
});
