// `npm run sandbox -- --nodes 5 [--port N] [--version v1.28.7] [--kubeconfig PATH] [--without-ipvs NAME,…] [shape flags]`:
// starts the simulated cluster, prints where the kubeconfig is, and stays up until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { startSandbox, type SandboxOptions } from './index.js';
import { fleetProfiles, startFleetSandboxes } from './fleet-sandboxes.js';

const USAGE = 'usage: npm run sandbox -- [--clusters N] [--nodes N] [--port N] [--version v1.28.7] [--kubeconfig PATH] [--without-ipvs NODE,…] [--mirror-fixtures]\n'
  + '  [--ip-families IPv4|IPv6|DualStack] [--cluster-domain D] [--windows NODE,…] [--kube-router] [--kube-vip-static-pod]\n'
  + '  [--nodeport-service] [--loadbalancer-service IP] [--fwmark NODE:MARK] [--dns-failure no-endpoints|servfail] [--metrics-bind ADDR]';

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        nodes: { type: 'string' }, port: { type: 'string' }, version: { type: 'string' }, kubeconfig: { type: 'string' },
        'without-ipvs': { type: 'string' }, 'mirror-fixtures': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        'ip-families': { type: 'string' }, 'cluster-domain': { type: 'string' }, windows: { type: 'string' }, 'kube-router': { type: 'boolean' },
        'kube-vip-static-pod': { type: 'boolean' }, 'nodeport-service': { type: 'boolean' }, 'loadbalancer-service': { type: 'string' },
        fwmark: { type: 'string' }, 'dns-failure': { type: 'string' }, 'metrics-bind': { type: 'string' },
        clusters: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) { console.log(USAGE); return; }
  const num = (v: unknown, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
    return n;
  };
  if (values.clusters !== undefined) { await fleet(values); return; }
  let sb;
  try {
    sb = await startSandbox({
      nodes: num(values.nodes, 'nodes') ?? 3,
      port: num(values.port, 'port') ?? 0,
      ...(typeof values.version === 'string' ? { kubernetesVersion: values.version } : {}),
      ...(typeof values.kubeconfig === 'string' ? { kubeconfigPath: values.kubeconfig } : {}),
      ...(typeof values['without-ipvs'] === 'string' ? { nodesWithoutIpvs: values['without-ipvs'].split(',').filter(Boolean) } : {}),
      mirrorFixtureNodes: values['mirror-fixtures'] === true || values.nodes === undefined,
      ...shapeOptions(values),
    });
  } catch (e) {
    console.error(`sandbox did not start: ${(e as Error).message}\n${USAGE}`);
    process.exitCode = 1;
    return;
  }
  console.log(`sandbox API server: ${sb.url}`);
  console.log(`kubeconfig: ${sb.kubeconfigPath}`);
  console.log(`try: kubectl --kubeconfig ${sb.kubeconfigPath} get nodes`);
  console.log('Ctrl-C stops it.');
  const stop = async () => { await sb.stop(); process.exit(0); };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** `--clusters N`: N simulated clusters (dev/staging/prod profiles of fleet-sandboxes.ts), one kubeconfig context each. */
async function fleet(values: Record<string, string | boolean | undefined>): Promise<void> {
  const n = Number(values.clusters);
  if (!Number.isInteger(n) || n < 1 || n > 20) { console.error(`--clusters must be 1-20\n${USAGE}`); process.exitCode = 2; return; }
  const nodes = values.nodes === undefined ? 3 : Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1) { console.error(`--nodes must be a whole number\n${USAGE}`); process.exitCode = 2; return; }
  let f;
  try {
    f = await startFleetSandboxes(fleetProfiles(n), {
      base: { nodes }, ...(typeof values.kubeconfig === 'string' ? { kubeconfigPath: values.kubeconfig } : {}),
    });
  } catch (e) {
    console.error(`sandbox did not start: ${(e as Error).message}\n${USAGE}`);
    process.exitCode = 1;
    return;
  }
  console.log(`kubeconfig: ${f.kubeconfigPath}`);
  for (const c of f.clusters) console.log(`  context ${c.name}: ${c.sandbox.url}  ${c.version}  mode ${c.mode}`);
  console.log(`try: kubectl --kubeconfig ${f.kubeconfigPath} --context ${f.clusters[0]!.name} get nodes`);
  console.log('Ctrl-C stops them.');
  const stop = async () => { await f.stop(); process.exit(0); };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

const list = (v: unknown) => (typeof v === 'string' ? v.split(',').filter(Boolean) : undefined);

/** The issue #10 cluster shapes; values are checked by the options' zod schema (its message names the bad one). */
function shapeOptions(v: Record<string, string | boolean | undefined>): Partial<SandboxOptions> {
  const services: NonNullable<SandboxOptions['services']> = [];
  if (v['nodeport-service']) services.push({ name: 'web-nodeport', type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
  if (typeof v['loadbalancer-service'] === 'string') {
    services.push({ name: 'web-lb', type: 'LoadBalancer', loadBalancerIngress: [v['loadbalancer-service']], ports: [{ name: 'https', port: 443 }] });
  }
  const fw = typeof v.fwmark === 'string' ? /^([^:]+):(\d+)$/.exec(v.fwmark) : null;
  if (typeof v.fwmark === 'string' && !fw) throw new Error('--fwmark must look like NODE:MARK, e.g. k8s-worker-1:100');
  return {
    ...(typeof v['ip-families'] === 'string' ? { ipFamilies: v['ip-families'] as 'IPv4' } : {}),
    ...(typeof v['cluster-domain'] === 'string' ? { clusterDomain: v['cluster-domain'] } : {}),
    ...(list(v.windows) ? { windowsNodes: list(v.windows) } : {}),
    ...(v['kube-router'] ? { kubeRouterNetworkPolicy: true } : {}),
    ...(v['kube-vip-static-pod'] ? { extraWorkloads: ['kube-vip-static-pod' as const] } : {}),
    ...(services.length ? { services } : {}),
    ...(fw ? { foreignIpvsServices: [{ node: fw[1] ?? '', proto: 'FWM' as const, fwmark: Number(fw[2]) }] } : {}),
    ...(typeof v['dns-failure'] === 'string' ? { dnsFailure: v['dns-failure'] as 'servfail' } : {}),
    ...(typeof v['metrics-bind'] === 'string' ? { metricsBindAddress: v['metrics-bind'] } : {}),
  };
}

void main();
