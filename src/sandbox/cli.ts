// `npm run sandbox -- --nodes 5 [--port N] [--version v1.28.7] [--kubeconfig PATH] [--without-ipvs NAME,…]`:
// starts the simulated cluster, prints where the kubeconfig is, and stays up until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { startSandbox } from './index.js';

const USAGE = 'usage: npm run sandbox -- [--nodes N] [--port N] [--version v1.28.7] [--kubeconfig PATH] [--without-ipvs NODE,…] [--mirror-fixtures]';

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        nodes: { type: 'string' }, port: { type: 'string' }, version: { type: 'string' }, kubeconfig: { type: 'string' },
        'without-ipvs': { type: 'string' }, 'mirror-fixtures': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
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
  let sb;
  try {
    sb = await startSandbox({
      nodes: num(values.nodes, 'nodes') ?? 3,
      port: num(values.port, 'port') ?? 0,
      ...(typeof values.version === 'string' ? { kubernetesVersion: values.version } : {}),
      ...(typeof values.kubeconfig === 'string' ? { kubeconfigPath: values.kubeconfig } : {}),
      ...(typeof values['without-ipvs'] === 'string' ? { nodesWithoutIpvs: values['without-ipvs'].split(',').filter(Boolean) } : {}),
      mirrorFixtureNodes: values['mirror-fixtures'] === true || values.nodes === undefined,
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

void main();
