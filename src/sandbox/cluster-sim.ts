// The simulated cluster on top of the object store: seeds a kubeadm-shaped cluster, owns every node's HostState,
// runs the controllers (DaemonSet, kubelets + binding, Job/TTL/GC) and exposes the handle tests use to look at
// node state and toggle cluster-level faults.
import { seedRun } from './kube-proxy-endpoints.js';
import type { ObjectStore } from './object-store.js';
import { type ClusterOptions, type ClusterOptionsInput, type NodeSpec, nodeSpecs, parseClusterOptions } from './cluster-options.js';
import { ClusterFaults, editKubeProxyConfig, setModeBehindBotsBack, setNodeReady } from './cluster-faults.js';
import { seedCluster, nodeIP } from './cluster-seed.js';
import { type ClusterContext, type Timers, realTimers, seededRandom } from './controllers/context.js';
import { DaemonSetController } from './controllers/daemonset-controller.js';
import { Informer } from './controllers/informer.js';
import { JobController } from './controllers/job-controller.js';
import { Kubelets } from './controllers/kubelet.js';
import { PodLogs, type PodLogSource } from './controllers/pod-logs.js';
import { HostState, type ServicePort } from './node-agent/host-state.js';
import { metricsBind, program } from './kube-proxy-sim.js';
import { minorOf } from './cluster-options.js';
import { servicePortsOf } from './service-ports.js';
import { addKubeRouterState } from './node-agent/kube-router-state.js';
import { corefileZone } from './seed/seed-config.js';
import { parse as parseYaml } from 'yaml';

export class SimCluster {
  readonly opts: ClusterOptions;
  readonly nodes: NodeSpec[];
  readonly hosts = new Map<string, HostState>();
  readonly faults = new ClusterFaults();
  readonly logs = new PodLogs();
  private readonly ctx: ClusterContext;
  private readonly informers: Informer[] = [];
  private servicePorts: ServicePort[] | undefined;

  constructor(readonly store: ObjectStore, input?: ClusterOptionsInput, timers: Timers = realTimers()) {
    this.opts = parseClusterOptions(input);
    this.nodes = nodeSpecs(this.opts);
    const self = this;
    this.ctx = {
      store, opts: this.opts, timers, rng: seededRandom(this.opts.seed), hosts: this.hosts, logs: this.logs, faults: this.faults,
      services: () => self.services(), now: () => new Date(), stopped: false,
      clusterDomain: () => corefileZone((store.get('configmaps', 'kube-system', 'coredns')?.data as Record<string, string> | undefined)?.Corefile) ?? 'cluster.local',
    };
  }

  /** Seeds the store and starts the controllers. */
  start(): void {
    for (const n of this.nodes) {
      if (n.windows) continue; // no Linux host: pods there never start (kubelet.ts)
      const h = new HostState(n.name, n.kernel, n.ipvs, [...n.addresses, ...n.podCIDRs.map(cni0Address)]);
      h.nftVersion = n.nftVersion;
      h.kubeProxySyncFactor = n.kubeProxySyncFactor;
      h.kubeProxyStuckModes = new Set(this.opts.kubeProxySync.stuckModes);
      h.kubeProxyCounters = { ...n.kubeProxyCounters };
      this.hosts.set(n.name, h);
    }
    const running = seedCluster(this.ctx, this.nodes);
    const cm = this.store.get('configmaps', 'kube-system', 'kube-proxy');
    const mode = this.initialMode((cm?.data as Record<string, string> | undefined)?.['config.conf']);
    const ports = this.services();
    for (const n of this.nodes) {
      const h = this.hosts.get(n.name);
      if (!h) continue;
      program(h, mode, 'rr', false, ports, minorOf(this.opts.kubernetesVersion));
      h.metricsBind = metricsBindOf(cm?.data as Record<string, string> | undefined);
      seedRun(h, mode, minorOf(this.opts.kubernetesVersion), ports, this.ctx.now().getTime());
      h.timeScale = this.opts.timeScale;
      if (!n.ready) h.proxyMode = '';
    }
    const hostOf = (ref: string | number, what: string) => {
      const name = typeof ref === 'number' ? this.nodes[ref]?.name : ref;
      const h = name ? this.hosts.get(name) : undefined;
      if (!h) throw new Error(`${what}: unknown (or Windows) node ${JSON.stringify(ref)}`);
      return h;
    };
    for (const f of this.opts.foreignIpvsServices) {
      const h = hostOf(f.node, 'foreignIpvsServices');
      h.modprobe('ip_vs');
      if (f.proto === 'FWM') h.addIpvs({ proto: 'FWM', address: '', port: f.fwmark ?? 0, scheduler: f.scheduler });
      else h.addIpvs({ proto: f.proto, address: f.address, port: f.port, scheduler: f.scheduler });
    }
    const kr = this.opts.kubeRouterNetworkPolicy;
    const krNodes = kr === true ? [...this.hosts.keys()] : kr === false ? [] : kr;
    for (const ref of krNodes) addKubeRouterState(hostOf(ref, 'kubeRouterNetworkPolicy'));
    const pods = this.informer('pods');
    const nodes = this.informer('nodes');
    const dss = this.informer('daemonsets');
    const jobs = this.informer('jobs');
    const services = this.informer('services');
    services.onEvent(() => { this.servicePorts = undefined; });
    const kubelets = new Kubelets(this.ctx, pods, nodes);
    for (const [node, list] of running) for (const r of list) kubelets.adoptRunning(r.uid, node, r.kubeProxy);
    for (const [node, list] of running) {
      const kp = list.find((r) => r.kubeProxy);
      if (kp) this.logs.start(kp.uid, 'kube-proxy', seededLog(this.opts.kubernetesVersion, mode, nodeIP(this.nodes.find((x) => x.name === node)?.index ?? 0)));
    }
    kubelets.start();
    new DaemonSetController(this.ctx, pods, nodes, dss).start();
    new JobController(this.ctx, jobs, pods).start();
  }

  private informer(r: 'pods' | 'nodes' | 'daemonsets' | 'jobs' | 'services'): Informer {
    const i = new Informer(this.store, r);
    this.informers.push(i);
    return i;
  }

  private initialMode(text: string | undefined): 'iptables' | 'ipvs' | 'nftables' {
    try {
      const m = (parseYaml(text ?? '') as { mode?: string } | null)?.mode;
      return m === 'ipvs' || m === 'nftables' ? m : 'iptables';
    } catch { return 'iptables'; }
  }

  /** Service ports as kube-proxy programs them, cached until a Service changes. */
  services(): ServicePort[] {
    this.servicePorts ??= servicePortsOf(this.store.list('services').items);
    return this.servicePorts;
  }

  host(node: string): HostState {
    const h = this.hosts.get(node);
    if (!h) throw new Error(`no simulated node ${node}`);
    return h;
  }

  logSource(): PodLogSource { return this.logs.source(this.store); }

  // ---- fault toggles ------------------------------------------------------------------------------------
  hangJobsOn(node: string, on = true): void { this.faults.hangJobsOn(node, on); }
  crashKubeProxyOn(node: string, on = true): void { this.faults.crashKubeProxyOn(node, on); }
  failJobsOn(node: string, on = true): void { this.faults.failJobsOn(node, on); }
  setNodeReady(node: string, ready: boolean): void { setNodeReady(this.store, node, ready, this.ctx.now()); }
  editKubeProxyConfig(edit: (configConf: string) => string): void { editKubeProxyConfig(this.store, edit); }
  setModeBehindBotsBack(mode: string): void { setModeBehindBotsBack(this.store, mode); }

  stop(): void {
    this.ctx.stopped = true;
    this.ctx.timers.clear();
    for (const i of this.informers) i.stop();
  }
}

/** The pod CIDR's gateway on cni0 (the bridge CNI's default: first address), a local address kube-proxy sees. */
function cni0Address(cidr: string): string {
  return cidr.includes(':') ? cidr.replace(/::\/\d+$/, '::1') : cidr.replace(/\.0\/\d+$/, '.1');
}

function metricsBindOf(data: Record<string, string> | undefined): string {
  try {
    return metricsBind((parseYaml(data?.['config.conf'] ?? '') as { metricsBindAddress?: unknown } | null)?.metricsBindAddress);
  } catch { return metricsBind(''); }
}

function seededLog(version: string, mode: string, ip: string): string[] {
  const p = 'I1125 06:30:00.000000       1';
  return [
    ...(mode === 'iptables' ? [`${p} server_others.go:69] "Using iptables proxy"`] : []),
    `${p} server.go:1050] "Successfully retrieved node IP(s)" IPs=["${ip}"]`,
    `${p} server_others.go:152] "Using ${mode} Proxier"`,
    `${p} server.go:846] "Version info" version="${version}"`,
    `${p} config.go:188] "Starting service config controller"`,
    `${p} config.go:97] "Starting endpoint slice config controller"`,
    `${p} shared_informer.go:318] "Caches are synced for service config"`,
    `${p} shared_informer.go:318] "Caches are synced for endpoint slice config"`,
  ];
}
