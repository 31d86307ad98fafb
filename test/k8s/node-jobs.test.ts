import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JOB_IMAGE, MAX_SERVICE_VS_BYTES, NODE_SCRIPTS_CONFIG_MAP, NodeJobError, createNodeJobFactory, kubeProxyCleanupJobSpec, nodeJobName, nodeJobSpec,
} from '../../src/k8s/node-jobs.js';
import { NODE_SCRIPTS } from '../../src/k8s/node-scripts/scripts.js';

type AnyObj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const RUN = '01JDZ8K3M4N5P6Q7R8S9T0V1W2';
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const targets = { servicePorts: 4, tcpTarget: '10.96.0.1:443', dnsName: 'kubernetes.default.svc.cluster.local', dnsServer: '10.96.0.10', pingTarget: '10.96.0.1' };

describe('src/k8s/node-jobs', () => {
  it('builds a privileged, host-namespace prep Job pinned to the node with the contract labels', () => {
    const spec = nodeJobSpec({ runId: RUN }, { phase: 'prep', node: 'k8s-worker-1', targetMode: 'ipvs', scheduler: 'wlc' });
    const job = spec.manifest as AnyObj;
    expect(spec.namespace).toBe('ipvs-bot-jobs');
    expect(spec.name).toBe(job.metadata.name);
    expect(spec.name).toMatch(DNS1123);
    expect(spec.name.length).toBeLessThanOrEqual(63);
    expect(job.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'ipvs-bot', 'ipvs-bot/run': RUN, 'ipvs-bot/node': 'k8s-worker-1',
      'ipvs-bot/phase': 'prep', 'ipvs-bot/target-mode': 'ipvs',
    });
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 3600 });
    const pod = job.spec.template.spec;
    expect(pod).toMatchObject({
      nodeName: 'k8s-worker-1', tolerations: [{ operator: 'Exists' }], hostPID: true, hostNetwork: true,
      restartPolicy: 'Never', automountServiceAccountToken: false, dnsPolicy: 'ClusterFirstWithHostNet',
    });
    expect(job.spec.template.metadata.labels).toEqual(job.metadata.labels);
    const c = pod.containers[0];
    expect(c).toMatchObject({ image: DEFAULT_JOB_IMAGE, securityContext: { privileged: true }, terminationMessagePolicy: 'FallbackToLogsOnError' });
    expect(c.command).toEqual(['/bin/bash', '/ipvs-bot/prep.sh']);
    expect(c.volumeMounts).toEqual([{ name: 'ipvs-bot-scripts', mountPath: '/ipvs-bot', readOnly: true }]);
    expect(pod.volumes).toEqual([{ name: 'ipvs-bot-scripts', configMap: { name: NODE_SCRIPTS_CONFIG_MAP.name, defaultMode: 0o444 } }]);
    expect(spec.configMap).toBe(NODE_SCRIPTS_CONFIG_MAP);
    expect(c.env).toEqual([
      { name: 'IPVS_BOT_PHASE', value: 'prep' },
      { name: 'IPVS_BOT_TARGET_MODE', value: 'ipvs' },
      { name: 'IPVS_BOT_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IPVS_BOT_SCHEDULER', value: 'wlc' },
    ]);
    // the node name never appears in the script text
    expect(JSON.stringify(c.command)).not.toContain('k8s-worker-1');
  });

  it('names Jobs deterministically and differently per phase, run, node and attempt', () => {
    const a = nodeJobName('verify', RUN, 'n1', '1');
    expect(nodeJobName('verify', RUN, 'n1', '1')).toBe(a);
    const others = [nodeJobName('verify', RUN, 'n1', '2'), nodeJobName('verify', RUN, 'n2', '1'), nodeJobName('prep', RUN, 'n1'),
      nodeJobName('verify', `${RUN}X`, 'n1', '1')];
    expect(new Set([a, ...others]).size).toBe(5);
    const long = nodeJobName('cleanup', RUN, 'x'.repeat(253), 'rollback-12');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(DNS1123);
  });

  it('passes verify targets as env and keeps ttl at least one hour', () => {
    const spec = nodeJobSpec({ runId: RUN, ttlSecondsAfterFinished: 60, namespace: 'kube-system', image: 'registry.local/tools@sha256:abc' },
      { phase: 'verify', node: 'n1', targetMode: 'iptables', verify: targets, attempt: '1' });
    const job = spec.manifest as AnyObj;
    expect(job.spec.ttlSecondsAfterFinished).toBe(3600);
    expect(spec.namespace).toBe('kube-system');
    const env = Object.fromEntries((job.spec.template.spec.containers[0].env as AnyObj[]).filter((e) => e.value).map((e) => [e.name, e.value]));
    expect(env).toEqual({
      IPVS_BOT_PHASE: 'verify', IPVS_BOT_TARGET_MODE: 'iptables', IPVS_BOT_EXPECTED_SERVICES: '4', IPVS_BOT_TCP_TARGET: '10.96.0.1:443',
      IPVS_BOT_DNS_NAME: 'kubernetes.default.svc.cluster.local', IPVS_BOT_DNS_SERVER: '10.96.0.10', IPVS_BOT_PING_TARGET: '10.96.0.1',
    });
    expect(job.metadata.labels['ipvs-bot/attempt']).toBe('1');
  });

  it('labels over-long node names by hash and keeps the full name in an annotation', () => {
    const node = `${'a'.repeat(70)}.example.com`;
    const job = nodeJobSpec({ runId: RUN }, { phase: 'prep', node, targetMode: 'ipvs' }).manifest as AnyObj;
    expect(job.metadata.labels['ipvs-bot/node']).toMatch(/^h-[0-9a-f]{20}$/);
    expect(job.metadata.annotations['ipvs-bot/node']).toBe(node);
    expect(job.spec.template.spec.nodeName).toBe(node);
  });

  it('rejects anything that is not a plain value before it can reach a script', () => {
    const bad: [string, () => unknown][] = [
      ['scheduler', () => nodeJobSpec({ runId: RUN }, { phase: 'prep', node: 'n1', targetMode: 'ipvs', scheduler: 'rr; reboot' })],
      ['node', () => nodeJobSpec({ runId: RUN }, { phase: 'prep', node: 'N1 $(x)', targetMode: 'ipvs' })],
      ['run', () => nodeJobSpec({ runId: 'run id!' }, { phase: 'prep', node: 'n1', targetMode: 'ipvs' })],
      ['tcp', () => nodeJobSpec({ runId: RUN }, { phase: 'verify', node: 'n1', targetMode: 'ipvs', verify: { ...targets, tcpTarget: '`id`:1' } })],
      ['dns', () => nodeJobSpec({ runId: RUN }, { phase: 'verify', node: 'n1', targetMode: 'ipvs', verify: { ...targets, dnsName: 'a b' } })],
      ['image', () => nodeJobSpec({ runId: RUN, image: 'x y' }, { phase: 'prep', node: 'n1', targetMode: 'ipvs' })],
      ['attempt', () => nodeJobSpec({ runId: RUN }, { phase: 'verify', node: 'n1', targetMode: 'ipvs', verify: targets, attempt: 'A/B' })],
    ];
    for (const [, f] of bad) expect(f).toThrow(NodeJobError);
  });

  it('builds targeted and kube-proxy cleanup Jobs through the per-run factory', () => {
    const f = createNodeJobFactory({ runId: RUN });
    const targeted = f.cleanup('n1', { fromMode: 'ipvs', targetMode: 'iptables', method: 'targeted', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.28.7', attempt: '1' });
    expect((targeted.manifest as AnyObj).spec.template.spec.containers[0].command).toEqual(['/bin/bash', '/ipvs-bot/cleanup.sh']);
    expect(targeted.configMap).toBe(NODE_SCRIPTS_CONFIG_MAP);
    const kp = f.cleanup('n1', { fromMode: 'ipvs', targetMode: 'iptables', method: 'kube-proxy', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.28.7', attempt: '1' });
    const job = kp.manifest as AnyObj;
    expect(kp.name).not.toBe(targeted.name);
    expect(job.spec.backoffLimit).toBe(0);
    expect(kp.configMap).toBeUndefined(); // kube-proxy's own image and binary: no scripts to mount
    expect(JSON.stringify(job)).not.toContain('ipvs-bot-scripts');
    expect(job.spec.template.spec.containers[0]).toMatchObject({ image: 'registry.k8s.io/kube-proxy:v1.28.7', command: ['/usr/local/bin/kube-proxy', '--cleanup', '--v=2'] });
    expect(job.metadata.labels['ipvs-bot/phase']).toBe('cleanup');
    expect(() => kubeProxyCleanupJobSpec({ runId: RUN }, { node: 'n1', targetMode: 'iptables', kubeProxyImage: 'a b' })).toThrow(NodeJobError);
    expect(f.prep('n1', { scheduler: 'rr', targetMode: 'ipvs' }).name).toBe(nodeJobName('prep', RUN, 'n1'));
    expect(f.namespace).toBe('ipvs-bot-jobs');
  });

  it('passes the node context (kube-proxy minor, Service VS tokens) to every phase, and bounds and checks the tokens', () => {
    const nodeContext = { kubeProxyMinor: 28, serviceVs: ['TCP:30080', 'UDP:30053', 'SCTP:30111', 'TCP/203.0.113.10:80', 'TCP/[2001:db8::10]:443'] };
    const f = createNodeJobFactory({ runId: RUN, nodeContext });
    const specs = [f.prep('n1', { scheduler: 'rr', targetMode: 'ipvs' }), f.verify('n1', { targetMode: 'ipvs', targets, attempt: '1' }),
      f.cleanup('n1', { fromMode: 'ipvs', targetMode: 'iptables', method: 'targeted', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.28.7', attempt: '1' })];
    for (const s of specs) {
      const env = (s.manifest as AnyObj).spec.template.spec.containers[0].env as AnyObj[];
      expect(env).toContainEqual({ name: 'IPVS_BOT_KUBE_PROXY_MINOR', value: '28' });
      expect(env).toContainEqual({ name: 'IPVS_BOT_SERVICE_VS', value: 'TCP:30080 UDP:30053 SCTP:30111 TCP/203.0.113.10:80 TCP/[2001:db8::10]:443' });
    }
    const job = (o: AnyObj) => () => nodeJobSpec({ runId: RUN, nodeContext: o }, { phase: 'prep', node: 'n1', targetMode: 'ipvs' });
    for (const bad of ['TCP:30080;reboot', 'tcp:30080', 'TCP 30080', 'TCP/host.example:80', 'TCP/[fe80::1%eth0]:80', 'FWM:100', '$(x)']) {
      expect(job({ serviceVs: [bad] }), bad).toThrow(NodeJobError);
    }
    expect(job({ kubeProxyMinor: 1.5 })).toThrow(NodeJobError);
    expect(job({ kubeProxyMinor: -1 })).toThrow(NodeJobError);
    // ~100 KB of tokens (about 9,000 NodePorts): the bound, with a message a person can act on.
    const many = Array.from({ length: 12_000 }, (_, i) => `TCP/10.${(i >> 8) & 255}.${i & 255}.1:80`);
    expect(job({ serviceVs: many })).toThrow(/exceed the 100 KB a node Job can carry/);
    const fits = many.slice(0, Math.floor(MAX_SERVICE_VS_BYTES / 20));
    expect(() => job({ serviceVs: fits })()).not.toThrow();
    // No context: no env, as before.
    const plain = nodeJobSpec({ runId: RUN }, { phase: 'prep', node: 'n1', targetMode: 'ipvs' }).manifest as AnyObj;
    expect(JSON.stringify(plain)).not.toMatch(/KUBE_PROXY_MINOR|SERVICE_VS/);
  });

  it('passes the DNS record type and expected address to verify, and restores only allowlisted sysctls in cleanup', () => {
    const v = nodeJobSpec({ runId: RUN }, { phase: 'verify', node: 'n1', targetMode: 'ipvs', verify: { ...targets, dnsType: 'AAAA', dnsExpect: 'fd00:10:96::1', tcpTarget: '[fd00:10:96::1]:443' } });
    const env = Object.fromEntries(((v.manifest as AnyObj).spec.template.spec.containers[0].env as AnyObj[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ IPVS_BOT_DNS_TYPE: 'AAAA', IPVS_BOT_DNS_EXPECT: 'fd00:10:96::1', IPVS_BOT_TCP_TARGET: '[fd00:10:96::1]:443' });
    expect(() => nodeJobSpec({ runId: RUN }, { phase: 'verify', node: 'n1', targetMode: 'ipvs', verify: { ...targets, dnsType: 'MX' as 'A' } })).toThrow(NodeJobError);
    expect(() => nodeJobSpec({ runId: RUN }, { phase: 'verify', node: 'n1', targetMode: 'ipvs', verify: { ...targets, dnsExpect: '10.96.0.1 x' } })).toThrow(NodeJobError);

    const f = createNodeJobFactory({ runId: RUN });
    const c = f.cleanup('n1', {
      fromMode: 'ipvs', targetMode: 'iptables', method: 'targeted', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.28.7', attempt: 'rollback',
      restoreSysctls: { 'net.ipv4.conf.all.arp_ignore': '0', 'net.ipv4.conf.all.arp_announce': '0' },
    });
    const pod = (c.manifest as AnyObj).spec.template.spec;
    expect(pod.containers[0].env).toContainEqual({ name: 'IPVS_BOT_RESTORE_SYSCTLS', value: 'net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0' });
    // iptables-restore -w in the targeted cleanup shares the host's xtables lock.
    expect(pod.volumes).toContainEqual({ name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'xtables-lock', mountPath: '/run/xtables.lock' });
    const prep = (f.prep('n1', { scheduler: 'rr', targetMode: 'ipvs' }).manifest as AnyObj).spec.template.spec;
    expect(JSON.stringify(prep)).not.toContain('xtables');
    const cleanup = (o: Record<string, string>) => () => nodeJobSpec({ runId: RUN }, { phase: 'cleanup', node: 'n1', targetMode: 'iptables', restoreSysctls: o });
    expect(cleanup({ 'net.ipv4.ip_forward': '0' })).toThrow(NodeJobError);
    expect(cleanup({ 'net.ipv4.conf.all.arp_ignore': '1; reboot' })).toThrow(NodeJobError);
    expect(() => nodeJobSpec({ runId: RUN }, { phase: 'verify', node: 'n1', targetMode: 'ipvs', verify: targets, restoreSysctls: {} })).toThrow(NodeJobError);
  });

  it('mounts the scripts from one immutable ConfigMap named by their content, so a Job manifest stays small', () => {
    const { name, data } = NODE_SCRIPTS_CONFIG_MAP;
    expect(name).toMatch(/^ipvs-bot-scripts-[0-9a-f]{8}$/);
    // The files the Jobs run are exactly the generated scripts (lib.sh + <phase>.sh), which the script tests run.
    expect(data).toEqual({ 'cleanup.sh': NODE_SCRIPTS.cleanup, 'prep.sh': NODE_SCRIPTS.prep, 'verify.sh': NODE_SCRIPTS.verify });
    expect(JSON.stringify(data).length).toBeLessThan(1024 * 1024); // a ConfigMap holds at most 1 MiB
    const f = createNodeJobFactory({ runId: RUN, annotations: { 'ipvs-bot/requested-by': 'U0ALICE' } });
    const sync = { metricsAddress: '127.0.0.1:10249', healthzAddress: '127.0.0.1:10256', timeoutMs: 60_000 };
    const specs = [f.prep('k8s-worker-1', { scheduler: 'rr', targetMode: 'ipvs' }), f.verify('k8s-worker-1', { targetMode: 'ipvs', targets, attempt: '1', sync }),
      f.cleanup('k8s-worker-1', { fromMode: 'iptables', targetMode: 'ipvs', method: 'targeted', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.28.7', attempt: '1', sync })];
    for (const s of specs) {
      expect(s.configMap?.name).toBe(name);
      expect(JSON.stringify(s.manifest).length).toBeLessThan(2500);
      expect(JSON.stringify(s.manifest)).not.toContain('json_str'); // no script text inline
    }
  });
});

describe('the wait for kube-proxy\'s first sync in verify and cleanup Jobs', () => {
  type JobShape = { spec: { activeDeadlineSeconds: number; template: { spec: { hostNetwork: boolean; containers: { env: { name: string; value?: string }[] }[] } } } };
  const envOf = (spec: { manifest: unknown }) => Object.fromEntries((spec.manifest as JobShape).spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
  const sync = { metricsAddress: '[::1]:10249', healthzAddress: '127.0.0.1:10256', timeoutMs: 600_000, pollMs: 500 };

  it('carries the addresses and deadline as validated env, with the Job deadline extended by the wait', () => {
    const f = createNodeJobFactory({ runId: 'run-sync' });
    const cleanup = f.cleanup('k8s-worker-1', { fromMode: 'iptables', targetMode: 'nftables', method: 'targeted', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.31.1', attempt: 'fwd', sync });
    expect(envOf(cleanup)).toMatchObject({ IPVS_BOT_PHASE: 'cleanup', IPVS_BOT_METRICS_ADDR: '[::1]:10249', IPVS_BOT_HEALTHZ_ADDR: '127.0.0.1:10256', IPVS_BOT_SYNC_TIMEOUT_MS: '600000', IPVS_BOT_SYNC_POLL_MS: '500' });
    expect((cleanup.manifest as JobShape).spec.template.spec.hostNetwork).toBe(true);
    const plain = f.cleanup('k8s-worker-1', { fromMode: 'iptables', targetMode: 'nftables', method: 'targeted', kubeProxyImage: 'registry.k8s.io/kube-proxy:v1.31.1', attempt: 'fwd' });
    expect((cleanup.manifest as JobShape).spec.activeDeadlineSeconds).toBe((plain.manifest as JobShape).spec.activeDeadlineSeconds + 600);
    expect(envOf(plain)).not.toHaveProperty('IPVS_BOT_SYNC_TIMEOUT_MS');
    // verify's targets name the metrics address already: one IPVS_BOT_METRICS_ADDR, the targets'.
    const verify = f.verify('k8s-worker-1', { targetMode: 'nftables', targets: { ...targets, metricsAddress: '127.0.0.1:10249' }, attempt: 'fwd', sync });
    const venv = (verify.manifest as JobShape).spec.template.spec.containers[0]!.env;
    expect(venv.filter((e) => e.name === 'IPVS_BOT_METRICS_ADDR').map((e) => e.value)).toEqual(['127.0.0.1:10249']);
    expect(envOf(verify)).toMatchObject({ IPVS_BOT_SYNC_TIMEOUT_MS: '600000', IPVS_BOT_HEALTHZ_ADDR: '127.0.0.1:10256' });
  });

  it('refuses addresses and times that are not what they claim', () => {
    const f = createNodeJobFactory({ runId: 'run-sync' });
    const v = (s: Partial<typeof sync> & Record<string, unknown>) => () => f.verify('k8s-worker-1', { targetMode: 'ipvs', targets, attempt: 'fwd', sync: { ...sync, ...s } });
    expect(v({ metricsAddress: '127.0.0.1:10249; rm -rf /' })).toThrow(/metricsAddress has an invalid value/);
    expect(v({ healthzAddress: '$(id):1' })).toThrow(/healthzAddress has an invalid value/);
    expect(v({ timeoutMs: 50 })).toThrow(/sync timeout must be 100 ms to 1 h/);
    expect(v({ pollMs: 5 })).toThrow(/poll interval/);
    expect(v({ notBeforeMs: -1 })).toThrow(/notBeforeMs/);
  });
});
