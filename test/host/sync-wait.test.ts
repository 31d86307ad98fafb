// Real-host tier: the wait for kube-proxy's first sync (lib.sh wait_for_sync) that opens the verify and cleanup
// scripts, run as their Jobs run them, against a stand-in for kube-proxy's /healthz and /metrics inside the namespace
// (node-services.mjs, in upstream's formats: pkg/proxy/healthcheck/proxier_health.go, pkg/proxy/metrics/metrics.go):
// already synced, synced after a while (healthz 503 first), stuck, and an address nothing answers on. The Job image is
// netshoot (curl); this host has curl too.
import { expect, it } from 'vitest';
import { BACKENDS, rulesOf, runInNetns } from './support/netns.js';
import { describeHost } from './support/tier.js';
import { iptablesModeState } from './support/kube-state.js';
import type { SyncTargets } from '../../src/k8s/node-jobs.js';

type KubeProxyStandIn = { syncAfterReads: number | null; healthTimeoutMs?: number };

function verify(k: KubeProxyStandIn, sync: Partial<SyncTargets> = {}) {
  return runInNetns({
    phase: 'verify', backend: 'iptables-nft', setup: 'true',
    input: {
      targetMode: 'iptables', attempt: 'fwd',
      verify: { servicePorts: 0, dnsName: '', metricsAddress: sync.metricsAddress ?? '127.0.0.1:10249' },
      sync: { metricsAddress: '127.0.0.1:10249', healthzAddress: '127.0.0.1:10256', timeoutMs: 3000, pollMs: 100, ...sync },
    },
    services: { kubeProxy: [{ metrics: { host: '127.0.0.1', port: 10249 }, healthz: { host: '0.0.0.0', port: 10256 }, healthTimeoutMs: 60_000, proxyMode: 'iptables', ...k }] },
  }).result;
}

describeHost('real-host tier: verify waits for kube-proxy\'s first sync', () => {
  it('goes on at once for a kube-proxy that synced after it started, and reports the sync', () => {
    const r = verify({ syncAfterReads: 0 });
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ ok: true, proxyMode: 'iptables', sync: { synced: true, polls: 1, healthz: { status: 200 }, metricsStatus: 200, syncDurationMs: 250, timeoutMs: 3000 } });
    expect(r.sync.syncedAt as number).toBeGreaterThanOrEqual(r.sync.startedAt as number);
  });

  it('waits through 503s for one that syncs later, then runs its checks', () => {
    const r = verify({ syncAfterReads: 4, healthTimeoutMs: 0 }, { timeoutMs: 20_000 });
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ ok: true, proxyMode: 'iptables', sync: { synced: true, polls: 4, healthz: { status: 200 } } });
    expect(r.sync.waitedMs as number).toBeGreaterThanOrEqual(300);
  });

  it('fails a stuck kube-proxy with the reason after its deadline, and checks nothing else', () => {
    const r = verify({ syncAfterReads: null, healthTimeoutMs: 200 }, { timeoutMs: 1000 });
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual(['kube-proxy did not sync within 1s: /healthz 503, no sync after its start on /metrics']);
    expect(r.sync).toMatchObject({ synced: false, syncedAt: null, metricsStatus: 200, healthz: { status: 503, lastUpdated: '0001-01-01 00:00:00 +0000 UTC' } });
    expect(r.sync.waitedMs as number).toBeGreaterThanOrEqual(1000);
    expect(r).not.toHaveProperty('proxyMode');
  });

  it('names an address nothing answers on: /healthz is only reported, /metrics decides', () => {
    const ok = verify({ syncAfterReads: 0 }, { healthzAddress: '127.0.0.1:10999', timeoutMs: 300 });
    expect(ok.ok).toBe(true);
    expect(ok.sync.healthz).toEqual({ status: null, lastUpdated: '' });
    const none = verify({ syncAfterReads: 0 }, { metricsAddress: '127.0.0.1:10998', timeoutMs: 300 });
    expect(none.errors).toEqual(['kube-proxy did not sync within 300ms: /healthz 200, /metrics did not answer on 127.0.0.1:10998']);
    expect(none.sync).toMatchObject({ synced: false, metricsStatus: null });
  });
});

for (const backend of BACKENDS) {
  describeHost(`real-host tier: cleanup waits for kube-proxy's first sync (${backend})`, () => {
    const cleanup = (k: KubeProxyStandIn, timeoutMs: number) => runInNetns({
      phase: 'cleanup', backend, setup: iptablesModeState(backend),
      input: { targetMode: 'ipvs', fromMode: 'iptables', attempt: 'fwd', sync: { metricsAddress: '127.0.0.1:10249', healthzAddress: '127.0.0.1:10256', timeoutMs, pollMs: 100 } },
      opts: { nodeContext: { kubeProxyMinor: 28 } },
      services: { kubeProxy: [{ metrics: { host: '127.0.0.1', port: 10249 }, healthz: { host: '0.0.0.0', port: 10256 }, proxyMode: 'ipvs', ...k }] },
    });

    it('removes nothing while the new kube-proxy has not synced: the old rules still carry the node\'s traffic', () => {
      const run = cleanup({ syncAfterReads: null, healthTimeoutMs: 60_000 }, 600);
      expect(run.result.ok).toBe(false);
      expect(run.result.errors).toEqual(['kube-proxy did not sync within 600ms: /healthz 200, no sync after its start on /metrics']);
      expect(run.before.iptables).toContain(':KUBE-SVC-');
      expect(rulesOf(run.after.iptables)).toEqual(rulesOf(run.before.iptables));
    });

    it('cleans up once it has', () => {
      const run = cleanup({ syncAfterReads: 2 }, 5000);
      expect(run.result.errors, run.stderr).toEqual([]);
      expect(run.result).toMatchObject({ ok: true, sync: { synced: true, polls: 2 } });
      expect(run.before.iptables).toContain(':KUBE-SVC-');
      expect(run.after.iptables).not.toContain(':KUBE-SVC-');
    });
  });
}
