// Engine overhead: what record-then-advance costs per step and per node result on a real SQLite file
// (WAL, real migrations, hash-chained audit), and the orchestration overhead against a critical path
// of real delays. Prints medians of 5 repetitions; ratios come from the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../src/db/client.js';
import { migrateDb } from '../src/db/migrate.js';
import { defineWorkflow, type StepDef } from '../src/workflows/engine/define.js';
import { createEngine } from '../src/workflows/engine/engine.js';
import { silentLogger, systemClock, clockDelay } from '../src/workflows/engine/ports.js';

interface In { steps: number; delayMs: number; nodes: number; parallel?: boolean }

const wf = defineWorkflow<In, unknown, null>({
  kind: 'bench',
  deps: () => null,
  steps: (run) => Array.from({ length: run.input.steps }, (_, i): StepDef<In, unknown, null> => ({
    id: `s${i}`,
    async run(ctx) {
      if (ctx.input.parallel) {
        // A batch: every node's operation takes delayMs, all at once, each result recorded as it lands.
        await Promise.all(Array.from({ length: ctx.input.nodes }, async (_, n) => {
          await clockDelay(ctx.clock, ctx.input.delayMs);
          ctx.saveNodeResult(`node-${i}-${n}`, 'verify', true, { proxyMode: 'ipvs', ipvsServices: 12 });
        }));
        return { i };
      }
      if (ctx.input.delayMs) await clockDelay(ctx.clock, ctx.input.delayMs);
      for (let n = 0; n < ctx.input.nodes; n++) ctx.saveNodeResult(`node-${n}`, 'verify', true, { proxyMode: 'ipvs', ipvsServices: 12 });
      return { i };
    },
  })),
});

async function once(input: In): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));
  const db = openDb(join(dir, 'bot.db'));
  migrateDb(db);
  const engine = createEngine({ db, clock: systemClock, notifier: { notify() {} }, logger: silentLogger, workflows: { bench: wf }, ownerId: 'bench' });
  await engine.start();
  const t0 = performance.now();
  engine.createRun({ kind: 'bench', cluster: 'c', requester: 'U1', input: input as never, plan: {}, planDigest: 'd', requiredApprovals: 0, expiresAt: Date.now() + 60_000 });
  await engine.idle();
  const ms = performance.now() - t0;
  await engine.stop();
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function med(input: In, reps = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) xs.push(await once(input));
  return median(xs);
}

for (const n of [100, 1_000]) {
  const steps = await med({ steps: n, delayMs: 0, nodes: 0 });
  console.log(`${n} no-op steps: ${steps.toFixed(0)} ms total, ${(steps / n).toFixed(3)} ms per step (2 transactions + 2 audit events + 2 status events each)`);
}
const nodes = await med({ steps: 1, delayMs: 0, nodes: 1_000 });
console.log(`1 step saving 1,000 node results: ${nodes.toFixed(0)} ms, ${(nodes / 1_000).toFixed(3)} ms per node result`);
const crit = 100 * 20;
const wall = await med({ steps: 100, delayMs: 20, nodes: 10 });
console.log(`100 steps x 20 ms delay (+10 node results each): wall ${wall.toFixed(0)} ms vs critical path ${crit} ms → overhead ${(((wall - crit) / crit) * 100).toFixed(1)} %`);
const batches = 20;
const bwall = await med({ steps: batches, delayMs: 200, nodes: 50, parallel: true }, 3);
const bcrit = batches * 200;
console.log(`${batches} batches x 50 nodes, 200 ms per node operation (1,000 node results): wall ${bwall.toFixed(0)} ms vs critical path ${bcrit} ms → overhead ${(((bwall - bcrit) / bcrit) * 100).toFixed(1)} %`);
