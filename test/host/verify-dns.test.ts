// Real-host tier: verify's DNS check with the real dig (dnsutils) against a DNS server on loopback inside the
// namespace that answers, refuses, never answers and says NXDOMAIN. Only a real answer (with the expected address,
// when given) passes.
import { expect, it } from 'vitest';
import { runInNetns, type NetnsCase } from './support/netns.js';
import { describeHost } from './support/tier.js';

const NAME = 'kubernetes.default.svc.cluster.example';
type Mode = NonNullable<NetnsCase['services']>['dns'] extends (infer D)[] | undefined ? D extends { mode: infer M } ? M : never : never;

function dns(mode: Mode, o: { server?: string; type?: 'A' | 'AAAA'; expect?: string } = {}) {
  const server = o.server ?? '127.0.0.53';
  return runInNetns({
    phase: 'verify', backend: 'iptables-nft', setup: 'true',
    input: { targetMode: 'iptables', attempt: '1', verify: { servicePorts: 0, dnsName: NAME, dnsServer: server, ...(o.type ? { dnsType: o.type } : {}), ...(o.expect ? { dnsExpect: o.expect } : {}) } },
    services: {
      dns: [{ addr: server, mode, records: { a: '10.96.0.1', aaaa: 'fd00:10:96::1' } }],
      http: [{ host: '127.0.0.1', port: 10249, body: 'iptables' }],
    },
  }).result;
}

describeHost('real-host tier: verify DNS with the real dig', () => {
  it('passes a real answer that holds the expected address', () => {
    const r = dns('answer', { expect: '10.96.0.1' });
    expect(r.dns).toEqual({ name: NAME, server: '127.0.0.53', type: 'A', ok: true, status: 'NOERROR', answers: ['10.96.0.1'], exit: 0 });
    expect(r.errors).toEqual([]);
  });

  it('fails an answer without the expected address', () => {
    const r = dns('answer', { expect: '10.96.0.99' });
    expect(r.dns).toMatchObject({ ok: false, status: 'NOERROR', answers: ['10.96.0.1'] });
    expect(r.errors).toEqual([`DNS lookup of ${NAME} failed: it resolves to 10.96.0.1, not 10.96.0.99`]);
  });

  it('fails NXDOMAIN (dig exits 0 and prints no answer)', () => {
    const r = dns('nxdomain');
    expect(r.dns).toMatchObject({ ok: false, status: 'NXDOMAIN', answers: [], exit: 0 });
    expect(r.errors).toEqual([`DNS lookup of ${NAME} failed: NXDOMAIN`]);
  });

  it('fails REFUSED', () => {
    const r = dns('refused');
    expect(r.dns).toMatchObject({ ok: false, status: 'REFUSED', answers: [] });
    expect(r.errors).toEqual([`DNS lookup of ${NAME} failed: REFUSED`]);
  });

  it('fails a server that never answers (dig exit 9, ";; communications error" on stdout)', () => {
    const r = dns('silent');
    expect(r.dns).toMatchObject({ ok: false, status: 'timeout', answers: [], exit: 9 });
    expect(r.errors).toEqual([`DNS lookup of ${NAME} failed: no answer from 127.0.0.53 (timeout)`]);
  });

  it('asks for AAAA from an IPv6 server (IPv6-primary cluster) and passes its answer', () => {
    const r = dns('answer', { server: '::1', type: 'AAAA', expect: 'fd00:10:96::1' });
    expect(r.dns).toEqual({ name: NAME, server: '::1', type: 'AAAA', ok: true, status: 'NOERROR', answers: ['fd00:10:96::1'], exit: 0 });
  });
});
