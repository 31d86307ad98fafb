// verify phase of the simulated node side, per the issue #10 node-Job contract: /proxyMode at kube-proxy's metrics
// bind address, kube-ipvs0 and virtual servers by the ownership rule, a TCP connect, a DNS query judged the way the
// scripts judge real `dig` (exit status + status + parsed answers), and ping posted per mode and version (domain §5).
import { type HostState, type ServicePort, countMatching, isV6, splitHostPort } from './host-state.js';
import { type Phase, kubeProxyNftTables } from './agent-common.js';

const ipsOf = (p: ServicePort) => (p.clusterIPs?.length ? p.clusterIPs : [p.clusterIP]);

/** Would a connection to ip:port/proto be forwarded on this host by whatever rules are there now? */
function forwarded(h: HostState, services: ServicePort[], proto: string, ip: string, port: number): boolean {
  const svc = services.find((p) => p.proto === proto && p.port === port && ipsOf(p).includes(ip));
  if (!svc) return false;
  if (h.ipvs.has(h.ipvsKey({ proto, address: ip, port }))) return true;
  if (h.nftTables.has(isV6(ip) ? 'ip6 kube-proxy' : 'ip kube-proxy')) return true;
  return h.nat.has('KUBE-SERVICES') && [...h.nat].some((c) => c.startsWith('KUBE-SVC-'));
}

export function verify(p: Phase): void {
  const { h, env, target, ctx, r, errors, warnings } = p;
  const metrics = env.get('IPVS_BOT_METRICS_ADDR') || '127.0.0.1:10249';
  // kube-proxy listens only on its metricsBindAddress (config.conf; v1alpha1 default 127.0.0.1:10249)
  const answering = h.proxyMode !== '' && h.metricsReachable(metrics);
  r.proxyMode = answering ? h.proxyMode : '';
  if (!answering) errors.push(`kube-proxy did not answer on ${metrics}/proxyMode`);
  else if (h.proxyMode !== target) errors.push(`kube-proxy reports mode ${h.proxyMode}, expected ${target}`);
  r.kubeIpvs0 = h.kubeIpvs0 !== null;
  r.ipvsServices = h.ipvs.size;
  r.kubernetesIpvsServices = h.kubernetesIpvs(p.tokens).length;
  r.foreignIpvsServices = h.foreignIpvs(p.tokens).length;
  r.kubeSvcChains = countMatching(h.nat, /^KUBE-SVC-/);
  const expected = Number(env.get('IPVS_BOT_EXPECTED_SERVICES') ?? '');
  if (target === 'ipvs') {
    if (!h.kubeIpvs0) errors.push('kube-ipvs0 does not exist');
    if (Number.isInteger(expected) && env.has('IPVS_BOT_EXPECTED_SERVICES') && h.ipvs.size < expected) {
      errors.push(`only ${h.ipvs.size} IPVS virtual servers, expected at least ${expected} (one per ClusterIP Service port)`);
    }
  } else if (h.kubeIpvs0) errors.push('kube-ipvs0 still exists: ClusterIPs stay local addresses on this node until it is removed');
  const nft = kubeProxyNftTables(h);
  r.nftTables = nft;
  if (target === 'nftables' && nft.length === 0) errors.push("kube-proxy's nftables table (ip kube-proxy) does not exist");
  else if (target !== 'nftables' && nft.length > 0) errors.push(`kube-proxy's nftables tables are still there (${nft.join(' ')}): an nftables leftover`);
  const tcpTarget = env.get('IPVS_BOT_TCP_TARGET');
  if (tcpTarget) {
    const hp = splitHostPort(tcpTarget);
    const ok = hp !== null && forwarded(h, ctx.services, 'TCP', hp.host, hp.port);
    r.tcp = { target: tcpTarget, ok };
    if (!ok) errors.push(`TCP connect to ${tcpTarget} failed`);
  }
  const dnsName = env.get('IPVS_BOT_DNS_NAME');
  if (dnsName) dns(p, dnsName);
  const ping = env.get('IPVS_BOT_PING_TARGET');
  if (ping) pingCheck(p, ping, warnings);
}

/**
 * A `dig` against the kube-dns ClusterIP. dig exits 0 whenever a server answered (NOERROR, NXDOMAIN, SERVFAIL …) and
 * 9 when none did (bind9 dig(1) "RETURN CODES"). CoreDNS's kubernetes plugin is authoritative for its zone only;
 * other names go to the upstream resolver, which knows no `*.svc.<other zone>`: NXDOMAIN.
 */
function dns(p: Phase, name: string): void {
  const { h, env, ctx, r, errors } = p;
  const server = env.get('IPVS_BOT_DNS_SERVER') ?? '';
  const type = env.get('IPVS_BOT_DNS_TYPE') || 'A';
  const expect = env.get('IPVS_BOT_DNS_EXPECT') || '';
  const out = { name, server, type, ok: false, status: 'error', answers: [] as string[], exit: 0 };
  r.dns = out;
  if (type !== 'A' && type !== 'AAAA') { out.exit = 1; errors.push(`IPVS_BOT_DNS_TYPE must be A or AAAA, not ${JSON.stringify(type)}`); return; }
  const reachable = server !== '' && forwarded(h, ctx.services, 'UDP', server, 53) && ctx.dnsFailure !== 'no-endpoints';
  if (!reachable) {
    Object.assign(out, { status: 'timeout', exit: 9 });
    errors.push(`DNS lookup of ${name} failed: no answer from ${server || '(no server)'} (timeout)`);
    return;
  }
  if (ctx.dnsFailure === 'servfail') {
    out.status = 'SERVFAIL';
    errors.push(`DNS lookup of ${name} failed: SERVFAIL`);
    return;
  }
  const zone = (ctx.clusterDomain ?? 'cluster.local').toLowerCase();
  const n = name.replace(/\.$/, '').toLowerCase();
  const m = n.endsWith(`.svc.${zone}`) ? /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\./.exec(n) : null;
  const svc = m ? ctx.services.find((s) => s.name === m[1] && s.namespace === m[2]) : undefined;
  if (!svc) {
    out.status = 'NXDOMAIN';
    errors.push(`DNS lookup of ${name} failed: NXDOMAIN`);
    return;
  }
  out.status = 'NOERROR';
  out.answers = ipsOf(svc).filter((ip) => isV6(ip) === (type === 'AAAA')).slice(0, 5);
  if (out.answers.length === 0) { errors.push(`DNS lookup of ${name} failed: no ${type} record in the answer`); return; }
  if (expect && !out.answers.includes(expect)) { errors.push(`DNS lookup of ${name} failed: answered ${out.answers.join(', ')}, expected ${expect}`); return; }
  out.ok = true;
}

/** Ping per the contract: replies/rejections counted like ping's summary, judged only where a reply is (not) expected. */
function pingCheck(p: Phase, target: string, warnings: string[]): void {
  const { h, r, errors, minor } = p;
  const mode = p.target;
  const outcome = h.pingOutcome(target);
  const expected = mode !== 'ipvs' ? 'no-reply' : minor === null ? 'replied-or-rejected' : minor >= 26 ? 'rejected' : 'replied';
  r.ping = { target, replies: outcome === 'replied' ? 3 : 0, rejected: outcome === 'rejected' ? 3 : 0, expected, outcome };
  if (mode === 'ipvs' && minor !== null && minor < 26 && outcome !== 'replied') errors.push(`ClusterIP ${target} does not answer ping: it is not bound to kube-ipvs0`);
  else if (mode !== 'ipvs' && outcome === 'replied') errors.push(`ClusterIP ${target} answers ping in ${mode} mode: an IPVS leftover (kube-ipvs0) still owns it`);
  else if (mode === 'ipvs' && minor !== null && minor >= 26 && outcome === 'replied') warnings.push(`ClusterIP ${target} answers ping in IPVS mode on kube-proxy 1.${minor}: KUBE-IPVS-FILTER missing?`);
}
