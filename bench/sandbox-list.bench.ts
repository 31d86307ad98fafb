// Sandbox API server at scale: a store with 5,000 kubeadm-shaped nodes and 5,000 kube-proxy pods. Prints startup
// time, the median of 20 `list nodes` over HTTP (JSON and kubectl's Table form), a paged list, and how long one
// pod write takes to reach 50 concurrent watchers (median of 20).
import http from 'node:http';
import { ObjectStore } from '../src/sandbox/object-store.js';
import { createApiServer } from '../src/sandbox/api-server.js';

const N = 5000;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const ms = (x: number) => `${x.toFixed(1)} ms`;

function node(i: number) {
  const name = `node-${String(i).padStart(4, '0')}`;
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
      annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock', 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
    spec: { podCIDR: `10.${(i >> 8) & 255}.${i & 255}.0/24`, podCIDRs: [`10.${(i >> 8) & 255}.${i & 255}.0/24`] },
    status: {
      capacity: { cpu: '4', 'ephemeral-storage': '41152812Ki', memory: '8139408Ki', pods: '110' },
      allocatable: { cpu: '4', 'ephemeral-storage': '37926431477', memory: '8037008Ki', pods: '110' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({ type, status: type === 'Ready' ? 'True' : 'False',
        lastHeartbeatTime: '2026-11-25T06:43:14Z', lastTransitionTime: '2026-11-25T06:43:14Z', reason: type === 'Ready' ? 'KubeletReady' : `KubeletHasNo${type}`, message: 'kubelet is posting ready status' })),
      addresses: [{ type: 'InternalIP', address: `10.1.${(i >> 8) & 255}.${i & 255}` }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { machineID: 'm', systemUUID: 's', bootID: 'b', kernelVersion: '6.1.0-27-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.22',
        kubeletVersion: 'v1.28.7', kubeProxyVersion: 'v1.28.7', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
}

function pod(i: number) {
  const n = `node-${String(i).padStart(4, '0')}`;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `kube-proxy-${i.toString(36).padStart(5, '0')}`, namespace: 'kube-system', labels: { 'controller-revision-hash': '7bb746587f', 'k8s-app': 'kube-proxy', 'pod-template-generation': '1' } },
    spec: { nodeName: n, hostNetwork: true, priorityClassName: 'system-node-critical', serviceAccountName: 'kube-proxy',
      containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.28.7', command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', `--hostname-override=${n}`],
        securityContext: { privileged: true }, volumeMounts: [{ name: 'kube-proxy', mountPath: '/var/lib/kube-proxy' }, { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true }] }],
      volumes: [{ name: 'kube-proxy', configMap: { name: 'kube-proxy', defaultMode: 420 } }, { name: 'lib-modules', hostPath: { path: '/lib/modules', type: '' } }] },
    status: { phase: 'Running', hostIP: `10.1.${(i >> 8) & 255}.${i & 255}`, podIP: `10.1.${(i >> 8) & 255}.${i & 255}`, qosClass: 'BestEffort',
      conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'kube-proxy', ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2026-11-25T06:43:20Z' } } }] },
  };
}

function get(url: string, accept = 'application/json'): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { Accept: accept } }, (res) => { let n = 0; res.on('data', (c: Buffer) => { n += c.length; }); res.on('end', () => resolve(n)); }).on('error', reject);
  });
}

const t0 = performance.now();
const store = new ObjectStore();
for (const ns of ['default', 'kube-system']) store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
for (let i = 0; i < N; i++) store.create('nodes', node(i));
for (let i = 0; i < N; i++) store.create('pods', pod(i));
const seeded = performance.now() - t0;
const server = await createApiServer(store, { logs: () => '', version: { major: '1', minor: '28', gitVersion: 'v1.28.7' } });
const started = performance.now() - t0;
console.log(`startup: seed ${N} nodes + ${N} pods ${ms(seeded)}, listening after ${ms(started)}`);

const timeIt = async (f: () => Promise<unknown>, n = 20) => { const xs: number[] = []; await f(); for (let i = 0; i < n; i++) { const s = performance.now(); await f(); xs.push(performance.now() - s); } return median(xs); };
let bytes = 0;
const listJson = await timeIt(async () => { bytes = await get(`${server.url}/api/v1/nodes`); });
console.log(`list nodes (JSON, ${(bytes / 1e6).toFixed(1)} MB): median ${ms(listJson)} of 20`);
let k0 = 0;
const listCold = await timeIt(async () => { store.mutate('nodes', undefined, 'node-0000', (n) => { n.metadata.annotations = { ...n.metadata.annotations, bench: String(k0++) }; }); bytes = await get(`${server.url}/api/v1/nodes`); });
console.log(`list nodes (JSON) right after a node changed (no cached list): median ${ms(listCold)} of 20`);
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const listTable = await timeIt(async () => { bytes = await get(`${server.url}/api/v1/nodes?limit=500`, TABLE); });
console.log(`list nodes (kubectl Table, limit=500): median ${ms(listTable)} of 20`);
const listPods = await timeIt(async () => { bytes = await get(`${server.url}/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-proxy&fieldSelector=spec.nodeName%3Dnode-2500`); });
console.log(`list pods with label+field selector (1 of ${N}): median ${ms(listPods)} of 20`);

// Watch fan-out: 50 watchers on kube-system pods; time from a write until every watcher has the event.
const W = 50;
let pending = 0;
let resolveRound: (() => void) | undefined;
const reqs: http.ClientRequest[] = [];
await Promise.all(Array.from({ length: W }, () => new Promise<void>((ready) => {
  const req = http.get(`${server.url}/api/v1/namespaces/kube-system/pods?watch=1&resourceVersion=${store.resourceVersion()}`, (res) => {
    ready();
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { buf = buf.slice(i + 1); if (--pending === 0) resolveRound?.(); }
    });
  });
  reqs.push(req);
})));
const fanout: number[] = [];
for (let k = 0; k < 21; k++) {
  const done = new Promise<void>((r) => { resolveRound = r; });
  pending = W;
  const s = performance.now();
  store.mutate('pods', 'kube-system', `kube-proxy-${(k * 7).toString(36).padStart(5, '0')}`, (p) => { p.metadata.annotations = { bench: String(k) }; });
  await done;
  if (k > 0) fanout.push(performance.now() - s);
}
console.log(`watch fan-out: one pod write to ${W} watchers: median ${ms(median(fanout))} of 20`);
console.log(`ratio: list nodes JSON / Table = ${(listJson / listTable).toFixed(2)}`);
for (const r of reqs) r.destroy();
await server.close();
