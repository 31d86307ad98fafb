// What a kube-proxy container does when it starts on a simulated node (domain §1.5, §4.1, §6.6): read config.conf,
// pick the mode, either program the host (and log like that version does) or exit with the error that version prints.
import { parse as parseYaml } from 'yaml';
import { minorOf } from './cluster-options.js';
import { HostState, isV6, kernelAtLeast, type ProxyMode, type ServicePort } from './node-agent/host-state.js';
import { program } from './kube-proxy-program.js';
import { startRun } from './kube-proxy-endpoints.js';

export { program };

export interface KubeProxyStart {
  /** null: the container exits (exitCode 1) after writing `log`. */
  mode: ProxyMode | null;
  log: string[];
  /** ≥1.35 in IPVS mode: the kubelet side records a Warning Event `IPVSDeprecation` on the Node. */
  ipvsDeprecation: boolean;
}

export function klogPrefix(level: 'I' | 'W' | 'E', at: Date, file: string): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())} ${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())}.${p(at.getUTCMilliseconds(), 3)}000`;
  return `${level}${ts}       1 ${file}]`;
}

interface Parsed { mode: string; scheduler: string; strictARP: boolean; featureGates: Record<string, boolean>; metricsBindAddress: string; healthzBindAddress: string }

function parseConfig(text: string | undefined): Parsed | string {
  if (text === undefined) return 'open /var/lib/kube-proxy/config.conf: no such file or directory';
  let doc: unknown;
  try { doc = parseYaml(text); } catch (e) { return `failed to decode config: ${(e as Error).message.split('\n')[0]}`; }
  if (!doc || typeof doc !== 'object') return 'failed to decode config: not a KubeProxyConfiguration';
  const d = doc as Record<string, unknown>;
  if (d.kind !== 'KubeProxyConfiguration') return `failed to decode config: no kind "${String(d.kind)}" is registered`;
  const ipvs = (d.ipvs && typeof d.ipvs === 'object' ? d.ipvs : {}) as Record<string, unknown>;
  const gates: Record<string, boolean> = {};
  if (d.featureGates && typeof d.featureGates === 'object') {
    for (const [k, v] of Object.entries(d.featureGates as Record<string, unknown>)) if (typeof v === 'boolean') gates[k] = v;
  }
  return {
    featureGates: gates,
    mode: typeof d.mode === 'string' ? d.mode : '',
    scheduler: typeof ipvs.scheduler === 'string' ? ipvs.scheduler : '',
    strictARP: ipvs.strictARP === true,
    metricsBindAddress: metricsBind(d.metricsBindAddress),
    healthzBindAddress: metricsBind(d.healthzBindAddress, '0.0.0.0', 10256),
  };
}

/**
 * v1alpha1 defaulting: "" → 127.0.0.1:10249 (metrics) / 0.0.0.0:10256 (healthz); a bare host gets the port appended
 * (AppendPortIfNeeded).
 */
export function metricsBind(v: unknown, dfltHost = '127.0.0.1', port = 10249): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s) return `${dfltHost}:${port}`;
  if (/^\[[^\]]*\]:\d+$/.test(s) || /^[^:]*:\d+$/.test(s)) return s;
  return isV6(s) ? `[${s}]:${port}` : `${s}:${port}`;
}

export interface StartInput {
  host: HostState;
  version: string;
  configText: string | undefined;
  services: ServicePort[];
  nodeIP?: string;
  /** All of the node's InternalIPs (dual-stack: both families). */
  nodeIPs?: string[];
  now?: Date;
  /** Cluster fault: crash regardless of mode. */
  forceCrash?: boolean;
}

export function startKubeProxy(inp: StartInput): KubeProxyStart {
  const { host, version } = inp;
  const minor = minorOf(version);
  const at = inp.now ?? new Date();
  const log: string[] = [];
  const I = (f: string, m: string) => log.push(`${klogPrefix('I', at, f)} ${m}`);
  const E = (f: string, m: string) => log.push(`${klogPrefix('E', at, f)} ${m}`);
  const W = (f: string, m: string) => log.push(`${klogPrefix('W', at, f)} ${m}`);
  const fail = (msg: string): KubeProxyStart => {
    E('run.go:74', `"command failed" err="${msg}"`);
    host.proxyMode = '';
    return { mode: null, log, ipvsDeprecation: false };
  };
  if (inp.forceCrash) {
    I('server.go:846', `"Version info" version="${version}"`);
    E('server.go:1039', '"Error running ProxyServer" err="failed to run kube-proxy: simulated crash"');
    return fail('failed to run kube-proxy: simulated crash');
  }
  const cfg = parseConfig(inp.configText);
  if (typeof cfg === 'string') return fail(cfg);
  const nodeIP = inp.nodeIP ?? '127.0.0.1';
  let mode: ProxyMode;
  if (cfg.mode === '' || cfg.mode === 'iptables') mode = 'iptables';
  else if (cfg.mode === 'ipvs') mode = 'ipvs';
  else if (cfg.mode === 'nftables' && minor >= 29) mode = 'nftables';
  else return fail(`KubeProxyConfiguration is invalid: mode: Unsupported value: "${cfg.mode}"`);

  if (cfg.mode === '') I('server_others.go:69', '"Using iptables proxy"');
  I('server.go:1050', `"Successfully retrieved node IP(s)" IPs=[${(inp.nodeIPs ?? [nodeIP]).map((a) => `"${a}"`).join(',')}]`);
  const scheduler = cfg.scheduler || 'rr';
  let deprecation = false;
  // KEP-5495 plan (domain §7): KubeProxyIPVS defaults to false from 1.40 and is locked off from 1.43; kube-proxy in
  // ipvs mode then exits with an error. Those releases do not exist yet, so the error text here is the sandbox's own.
  if (mode === 'ipvs' && (minor >= 43 || (minor >= 40 && cfg.featureGates.KubeProxyIPVS !== true))) {
    E('server.go:1039', '"Error running ProxyServer" err="ipvs proxy mode is not available: feature gate KubeProxyIPVS is disabled"');
    return fail('ipvs proxy mode is not available: feature gate KubeProxyIPVS is disabled');
  }
  if (mode === 'ipvs') {
    if (!host.canUseIpvs(scheduler)) {
      if (minor < 26) {
        // ≤1.25: silent fallback to iptables after a module check (domain §1.5)
        E('server_others.go:305', `"Can't use the IPVS proxier" err="IPVS proxier will not be used because the following required kernel modules are not loaded: [ip_vs ip_vs_${scheduler}]"`);
        mode = 'iptables';
      } else {
        E('ipvs.go:123', `"Could not create dummy VS" err="no such file or directory" scheduler="${scheduler}"`);
        E('server.go:1039', '"Error running ProxyServer" err="can\'t use the IPVS proxier: Ipvs not supported by the kernel"');
        return fail("can't use the IPVS proxier: Ipvs not supported by the kernel");
      }
    }
  }
  if (mode === 'nftables' && !kernelAtLeast(host.kernel, 5, 13)) {
    E('server.go:1039', '"Error running ProxyServer" err="kube-proxy in nftables mode requires kernel 5.13 or later"');
    return fail('kube-proxy in nftables mode requires kernel 5.13 or later');
  }
  if (mode === 'iptables') I('server_others.go:152', '"Using iptables Proxier"');
  if (mode === 'nftables') I('server_linux.go:234', '"Using nftables Proxier"');
  if (mode === 'ipvs') {
    I('server_others.go:213', '"Using ipvs Proxier"');
    if (!cfg.scheduler) I('proxier.go:374', '"IPVS scheduler not specified, use rr by default" ipFamily="IPv4"');
    if (minor >= 35) {
      E('server_linux.go:201', '"The ipvs proxier is now deprecated and may be removed in a future release. Please use \'nftables\' instead."');
      deprecation = true;
    }
  }
  I('server.go:846', `"Version info" version="${version}"`);
  program(host, mode, scheduler, cfg.strictARP, inp.services, minor);
  host.metricsBind = cfg.metricsBindAddress;
  host.healthzBind = cfg.healthzBindAddress;
  // A new process (the kubelet passes its start time); a resync of the running one (kubelet.resync) keeps its timeline.
  if (inp.now || !host.kubeProxyRun) startRun(host, mode, minor, inp.services, at.getTime());
  I('config.go:188', '"Starting service config controller"');
  I('config.go:97', '"Starting endpoint slice config controller"');
  I('shared_informer.go:318', '"Caches are synced for service config"');
  I('shared_informer.go:318', '"Caches are synced for endpoint slice config"');
  if (mode === 'iptables' && host.kubeIpvs0) W('proxier.go:260', '"kube-ipvs0 exists: IPVS state from an earlier mode is not cleaned up"');
  return { mode, log, ipvsDeprecation: deprecation };
}

