// Cluster shapes of issue #10 through the real @kubernetes/client-node over HTTP: IP families, Service types,
// clusterDomain (kubelet-config, CoreDNS), a Windows node, the DaemonSet's nodeSelector / taints / tolerations,
// kube-vip as a static pod, a `--cleanup` init container, and the versions the bot supports.
import { afterEach, describe, expect, it } from 'vitest';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { until } from './support/until.js';

let sb: Sandbox | undefined;
afterEach(async () => { await sb?.stop(); sb = undefined; });

async function start(o: SandboxOptions) {
  sb = await startSandbox({ stepMs: 5, crashBackoffMs: 20, jobBackoffMs: 10, restrictedToken: false, ...o });
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 's', server: sb.url, skipTLSVerify: true }], users: [{ name: 'u', token: sb.token }], contexts: [{ name: 'c', cluster: 's', user: 'u' }], currentContext: 'c' });
  return { sb, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api) };
}
const proxyPods = async (core: CoreV1Api) => (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-proxy' })).items;
const internalIPs = (n: { status?: { addresses?: { type: string; address: string }[] } }) => (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);

describe('IP families and Services', () => {
  it('an IPv6-primary cluster: v6 Services, node InternalIPs and pod CIDRs; kube-ipvs0 and VS in IPv6 after IPVS', async () => {
    const { core, sb: s } = await start({ nodes: 2, ipFamilies: 'IPv6' });
    const k = await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' });
    expect(k.spec).toMatchObject({ clusterIP: 'fd00:10:96::1', clusterIPs: ['fd00:10:96::1'], ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });
    expect((await core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' })).spec?.clusterIP).toBe('fd00:10:96::a');
    const nodes = (await core.listNode()).items;
    expect(nodes.map(internalIPs)).toEqual([['fd00:10:0:1::b'], ['fd00:10:0:1::c']]);
    expect(nodes[0]?.spec?.podCIDRs).toEqual(['fd00:10:244:1::/64']);
    s.cluster.editKubeProxyConfig((c) => c.replace('mode: ""', 'mode: "ipvs"'));
    for (const p of await proxyPods(core)) await core.deleteNamespacedPod({ name: p.metadata?.name ?? '', namespace: 'kube-system' });
    await until(() => s.cluster.nodes.every((n) => s.cluster.host(n.name).proxyMode === 'ipvs'));
    const h = s.cluster.host('k8s-worker-1');
    expect([...(h.kubeIpvs0 ?? [])].sort()).toEqual(['fd00:10:96::1', 'fd00:10:96::a']);
    expect(h.ipvs.has('TCP [fd00:10:96::1]:443')).toBe(true);
    expect(h.ipsets.has('KUBE-6-CLUSTER-IP')).toBe(true);
  });

  it('a dual-stack cluster: nodes and PreferDualStack Services carry both families; kube-dns stays single-stack IPv4', async () => {
    const { core } = await start({ nodes: 2, ipFamilies: 'DualStack', services: [{ name: 'web', type: 'NodePort', ipFamilyPolicy: 'PreferDualStack', ports: [{ name: 'http', port: 80 }] }] });
    expect((await core.listNode()).items.map(internalIPs)[0]).toEqual(['10.0.0.11', 'fd00:10:0:1::b']);
    const web = await core.readNamespacedService({ name: 'web', namespace: 'default' });
    expect(web.spec).toMatchObject({ type: 'NodePort', ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack', clusterIPs: ['10.96.32.0', 'fd00:10:96::2000'] });
    expect(web.spec?.ports?.[0]?.nodePort).toBe(30000);
    expect((await core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' })).spec?.ipFamilies).toEqual(['IPv4']);
  });

  it('LoadBalancer Services get status.loadBalancer.ingress as MetalLB writes it, externalIPs and externalTrafficPolicy', async () => {
    const { core, sb: s } = await start({ nodes: 2, services: [{ name: 'lb', type: 'LoadBalancer', externalTrafficPolicy: 'Local', externalIPs: ['203.0.113.10'], loadBalancerIngress: ['10.0.0.200'], ports: [{ name: 'https', port: 443, nodePort: 31443 }] }] });
    const lb = await core.readNamespacedService({ name: 'lb', namespace: 'default' });
    expect(lb.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', externalIPs: ['203.0.113.10'], ports: [{ port: 443, nodePort: 31443 }] });
    expect(lb.status?.loadBalancer?.ingress).toEqual([{ ip: '10.0.0.200', ipMode: 'VIP' }]);
    expect(s.cluster.services().find((p) => p.name === 'lb')).toMatchObject({ nodePort: 31443, loadBalancerIPs: ['10.0.0.200'], externalIPs: ['203.0.113.10'], externalTrafficPolicy: 'Local' });
  });
});

describe('clusterDomain, Windows nodes, DaemonSet placement', () => {
  it('a non-default clusterDomain is in kubelet-config (KubeletConfiguration) and the CoreDNS Corefile', async () => {
    const { core } = await start({ nodes: 1, clusterDomain: 'corp.example' });
    const kubelet = await core.readNamespacedConfigMap({ name: 'kubelet-config', namespace: 'kube-system' });
    expect(kubelet.data?.kubelet).toMatch(/^kind: KubeletConfiguration$/m);
    expect(kubelet.data?.kubelet).toMatch(/^clusterDomain: corp\.example$/m);
    expect(kubelet.data?.kubelet).toMatch(/^clusterDNS:\n- 10\.96\.0\.10$/m);
    const coredns = await core.readNamespacedConfigMap({ name: 'coredns', namespace: 'kube-system' });
    expect(coredns.data?.Corefile).toContain('kubernetes corp.example in-addr.arpa ip6.arpa {');
  });

  it('a Windows node has no kube-proxy pod, and a Linux Job pod pinned to it stays in ErrImagePull / ImagePullBackOff', async () => {
    const { core, apps, batch } = await start({ nodes: 3, windowsNodes: ['k8s-worker-2'] });
    const win = await core.readNode({ name: 'k8s-worker-2' });
    expect(win.metadata?.labels).toMatchObject({ 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.20348' });
    expect(win.status?.nodeInfo).toMatchObject({ operatingSystem: 'windows', kernelVersion: '10.0.20348.2227', osImage: 'Windows Server 2022 Datacenter' });
    expect((await proxyPods(core)).map((p) => p.spec?.nodeName).sort()).toEqual(['k8s-cp-1', 'k8s-worker-1']);
    expect((await apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' })).status?.desiredNumberScheduled).toBe(2);
    await batch.createNamespacedJob({ namespace: 'default', body: { metadata: { name: 'probe' }, spec: { backoffLimit: 0, template: { spec: {
      nodeName: 'k8s-worker-2', restartPolicy: 'Never', containers: [{ name: 'main', image: 'debian:bookworm-slim', command: ['true'] }] } } } } });
    const stuck = await waitFor(async () => {
      const p = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=probe' })).items[0];
      return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' ? p : undefined;
    });
    expect(stuck.status?.phase).toBe('Pending');
    expect(stuck.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('Back-off pulling image "debian:bookworm-slim"');
    const ev = (await core.listNamespacedEvent({ namespace: 'default' })).items.find((e) => e.reason === 'Failed');
    expect(ev?.message).toContain('no match for platform in manifest: not found');
  });

  it("honours the DaemonSet's nodeSelector and tolerations vs taints like NodeShouldRunDaemonPod, and follows label changes", async () => {
    const { core, apps } = await start({
      nodes: 4, nodeLabels: [{ node: 'k8s-worker-1', labels: { 'proxy': 'yes' } }, { node: 'k8s-worker-2', labels: { 'proxy': 'yes' } }],
      kubeProxyNodeSelector: { proxy: 'yes' }, nodeTaints: [{ node: 'k8s-worker-2', key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      kubeProxyTolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
    });
    expect((await proxyPods(core)).map((p) => p.spec?.nodeName)).toEqual(['k8s-worker-1']);
    const ds = await apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' });
    expect(ds.spec?.template.spec?.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', proxy: 'yes' });
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1 });
    await core.patchNode({ name: 'k8s-worker-3', body: { metadata: { labels: { proxy: 'yes' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await waitFor(async () => ((await proxyPods(core)).some((p) => p.spec?.nodeName === 'k8s-worker-3' && p.status?.phase === 'Running') ? true : undefined));
    await core.patchNode({ name: 'k8s-worker-1', body: { metadata: { labels: { proxy: null } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await waitFor(async () => ((await proxyPods(core)).every((p) => p.spec?.nodeName !== 'k8s-worker-1') ? true : undefined));
    expect((await apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' })).status?.desiredNumberScheduled).toBe(1);
  });

  it('kube-vip as a static pod: the mirror pod kube-vip-<node>, annotated kubernetes.io/config.mirror and owned by the Node', async () => {
    const { core } = await start({ nodes: 2, extraWorkloads: ['kube-vip-static-pod'] });
    const p = await core.readNamespacedPod({ name: 'kube-vip-k8s-cp-1', namespace: 'kube-system' });
    const node = await core.readNode({ name: 'k8s-cp-1' });
    expect(p.metadata?.annotations?.['kubernetes.io/config.mirror']).toMatch(/^[0-9a-f]{32}$/);
    expect(p.metadata?.annotations?.['kubernetes.io/config.source']).toBe('file');
    expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'k8s-cp-1', uid: node.metadata?.uid, controller: true }]);
    expect(p.status?.phase).toBe('Running');
    expect(p.spec?.containers[0]?.image).toMatch(/^ghcr\.io\/kube-vip\/kube-vip:/);
  });
});

describe('kube-proxy pods', () => {
  it('a `--cleanup` init container runs upstream cleanup on the host before kube-proxy starts (rolled one node at a time)', async () => {
    const { apps, core, sb: s } = await start({ nodes: 2, foreignIpvsServices: [{ node: 'k8s-worker-1', address: '192.168.10.5', port: 80 }], kubeRouterNetworkPolicy: ['k8s-worker-1'] });
    const h = s.cluster.host('k8s-worker-1');
    expect(h.ipvs.size).toBe(1);
    const before = new Set((await proxyPods(core)).map((p) => p.metadata?.uid));
    await apps.patchNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system', body: { spec: { template: { spec: {
      initContainers: [{ name: 'cleanup', image: 'registry.k8s.io/kube-proxy:v1.28.7', command: ['/usr/local/bin/kube-proxy', '--cleanup'], securityContext: { privileged: true } }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    const pods = await waitFor(async () => {
      const ps = await proxyPods(core);
      return ps.length === 2 && ps.every((p) => !before.has(p.metadata?.uid) && p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp) ? ps : undefined;
    });
    expect(new Set(pods.map((p: V1Pod) => p.metadata?.labels?.['controller-revision-hash'])).size).toBe(1);
    expect(h.ipvs.size).toBe(0); // --cleanup flushes the whole IPVS table (domain §6.6)
    expect(h.ipsets.has('KUBE-SRC-6MOAQQGGFDFXLIBY')).toBe(true); // but only kube-proxy's own names
    expect(h.proxyMode).toBe('iptables');
  });

  it.each(['v1.30.4', 'v1.35.0'])('works at %s: versions in node info and kube-proxy logs', async (version) => {
    const { core } = await start({ nodes: 2, kubernetesVersion: version });
    const n = await core.readNode({ name: 'k8s-worker-1' });
    expect(n.status?.nodeInfo?.kubeletVersion).toBe(version);
    const p = (await proxyPods(core))[0];
    expect(p?.spec?.containers[0]?.image).toBe(`registry.k8s.io/kube-proxy:${version}`);
    const log = await core.readNamespacedPodLog({ name: p?.metadata?.name ?? '', namespace: 'kube-system' });
    expect(log).toContain(version);
  });
});

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
