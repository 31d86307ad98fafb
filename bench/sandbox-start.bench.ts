// Sandbox start-up: time from startSandbox() to a listening server with a converged kubeadm cluster, the time of a
// full node list over HTTP (what `kubectl get nodes -o json` fetches), and the process RSS. Medians of 3 per size.
import { startSandbox } from '../src/sandbox/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function once(nodes: number): Promise<{ startMs: number; listMs: number; rssMb: number }> {
  const t0 = performance.now();
  const sb = await startSandbox({ nodes, restrictedToken: false });
  const startMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    const res = await fetch(`${sb.url}/api/v1/nodes`, { headers: { Authorization: `Bearer ${sb.token}` } });
    const body = (await res.json()) as { items: unknown[] };
    const listMs = performance.now() - t1;
    if (body.items.length !== nodes) throw new Error(`listed ${body.items.length} nodes, expected ${nodes}`);
    return { startMs, listMs, rssMb: process.memoryUsage().rss / 1e6 };
  } finally {
    await sb.stop();
  }
}

for (const nodes of [1000, 5000]) {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await once(nodes));
  const gcable = globalThis as { gc?: () => void };
  gcable.gc?.();
  console.log(`${nodes} nodes: start ${median(runs.map((r) => r.startMs)).toFixed(0)} ms (median of 3), ` +
    `full node list ${median(runs.map((r) => r.listMs)).toFixed(0)} ms, RSS ${Math.max(...runs.map((r) => r.rssMb)).toFixed(0)} MB (max)`);
}
