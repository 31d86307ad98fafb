import { describe, expect, it } from 'vitest';
import { toServiceInfo } from '../../../src/k8s/k8s-objects.js';
import { metricsAddressOf, serviceVsTokens, verifyTargetsOf } from '../../../src/workflows/kube-proxy-mode/verify-targets.js';

const svc = (ns: string, name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
  toServiceInfo({ metadata: { namespace: ns, name }, spec, status });

describe('src/workflows/kube-proxy-mode/verify-targets', () => {
  it('builds IPv6 targets in brackets and asks AAAA on an IPv6-primary cluster, in its own clusterDomain', () => {
    const services = [
      svc('default', 'kubernetes', { clusterIP: 'fd00:10:96::1', clusterIPs: ['fd00:10:96::1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
      svc('kube-system', 'kube-dns', { clusterIP: 'fd00:10:96::a', ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }),
    ];
    expect(verifyTargetsOf(services, 'corp.example', '')).toEqual({
      servicePorts: 3, tcpTarget: '[fd00:10:96::1]:443', pingTarget: 'fd00:10:96::1', dnsExpect: 'fd00:10:96::1',
      dnsServer: 'fd00:10:96::a', dnsName: 'kubernetes.default.svc.corp.example', dnsType: 'AAAA', metricsAddress: '127.0.0.1:10249',
    });
  });

  it('takes the primary family of a dual-stack Service', () => {
    const t = verifyTargetsOf([svc('default', 'kubernetes', { clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1', 'fd00:10:96::1'], ports: [{ port: 443, protocol: 'TCP' }] })], 'cluster.local', '0.0.0.0:10249');
    expect(t).toMatchObject({ tcpTarget: '10.96.0.1:443', dnsType: 'A', metricsAddress: '127.0.0.1:10249' });
  });

  it('reaches kube-proxy where its metricsBindAddress says', () => {
    expect(metricsAddressOf('')).toBe('127.0.0.1:10249');
    expect(metricsAddressOf(':10300')).toBe('127.0.0.1:10300');
    expect(metricsAddressOf('[::]:10249')).toBe('[::1]:10249');
    expect(metricsAddressOf('192.168.1.5:10249')).toBe('192.168.1.5:10249');
  });

  it("lists Kubernetes' virtual servers that kube-ipvs0 does not hold: NodePorts, externalIPs, LoadBalancer ingress", () => {
    const services = [
      svc('default', 'web', { type: 'NodePort', clusterIP: '10.96.5.5', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }),
      svc('default', 'lb', { type: 'LoadBalancer', clusterIP: '10.96.5.6', externalIPs: ['203.0.113.7'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }, { port: 53, nodePort: 30053, protocol: 'UDP' }] },
        { loadBalancer: { ingress: [{ ip: '198.51.100.20' }, { ip: '2001:db8::20' }] } }),
      svc('default', 'plain', { clusterIP: '10.96.5.7', ports: [{ port: 8080, protocol: 'TCP' }] }),
    ];
    expect(serviceVsTokens(services)).toEqual({
      truncated: false,
      tokens: ['TCP:30080', 'TCP:31443', 'UDP:30053', 'TCP/[2001:db8::20]:443', 'TCP/198.51.100.20:443', 'TCP/203.0.113.7:443', 'UDP/[2001:db8::20]:53', 'UDP/198.51.100.20:53', 'UDP/203.0.113.7:53'],
    });
  });
});
