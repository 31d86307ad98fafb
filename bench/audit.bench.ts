// Audit store figures: append rate with the real transaction pattern (state update + chained event in one tx),
// export of 1,000,000 events as JSONL (time, peak RSS of the exporting process), verify of 1,000,000 events.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, closeDb } from '../src/db/client.js';
import { migrateDb } from '../src/db/migrate.js';
import { appendAudit } from '../src/db/audit-store.js';
import { canonicalJson } from '../src/audit/canonical-json.js';
import { GENESIS_HASH, rowHash } from '../src/audit/hash-chain.js';

const N = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));

// 1. Append rate: one transaction per event, with a state write beside it, as the runner does. synchronous=FULL
// (what openDb sets) and NORMAL (what it set before issue #15) in alternating rounds of the same run, so that both
// figures see the same machine load.
{
  const rates: Record<'FULL' | 'NORMAL', number[]> = { FULL: [], NORMAL: [] };
  for (let round = 0; round < 3; round++) {
    for (const sync of ['NORMAL', 'FULL'] as const) {
      const db = openDb(join(dir, `append-${sync}-${round}.db`));
      migrateDb(db);
      db.$client.pragma(`synchronous = ${sync}`);
      db.$client.exec('CREATE TABLE bench_state (id INTEGER PRIMARY KEY, n INTEGER)');
      db.$client.exec('INSERT INTO bench_state VALUES (1, 0)');
      const upd = db.$client.prepare('UPDATE bench_state SET n = n + 1 WHERE id = 1');
      const count = 5_000;
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        db.transaction((tx) => { upd.run(); appendAudit(tx, { actor: 'system', cluster: 'c', runId: 'r1', type: 'step.succeeded', payload: { step: 'rollout:1', node: `n${i}`, ok: true } }); });
      }
      rates[sync].push(count / ((performance.now() - t0) / 1000));
      closeDb(db);
    }
  }
  for (const sync of ['NORMAL', 'FULL'] as const) {
    console.log(`append, synchronous=${sync}: ${Math.round(median(rates[sync]))} events/s (median of 3 rounds of 5,000; one tx per event, WAL)`);
  }
}

// 2. Build a 1,000,000-event chain quickly (bulk insert with the same chain rule), then time export and verify.
const big = join(dir, 'big.db');
{
  const db = openDb(big);
  migrateDb(db);
  const ins = db.$client.prepare('INSERT INTO audit_events (seq, ts, actor, cluster, run_id, type, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)');
  let prev = GENESIS_HASH;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const batch = db.$client.transaction((from: number, to: number) => {
    for (let seq = from; seq < to; seq++) {
      const row = { seq, ts: new Date(t0 + seq * 1000).toISOString(), actor: seq % 5 ? 'system' : 'U0ALICE', cluster: seq % 2 ? 'cluster-a' : 'cluster-b', runId: `r-${seq >> 10}`, type: 'node.result', payload: canonicalJson({ node: `node-${seq % 5000}`, phase: 'verify', ok: true, proxyMode: 'ipvs', ipvsServices: 42 }) };
      const hash = rowHash(prev, row);
      ins.run(row.seq, row.ts, row.actor, row.cluster, row.runId, row.type, row.payload, prev, hash);
      prev = hash;
    }
  });
  for (let s = 1; s <= N; s += 100_000) batch(s, Math.min(N + 1, s + 100_000));
  closeDb(db);
  console.log(`built ${N} events (${Math.round(statSync(big).size / 1e6)} MB file)`);
}

// The box may be shared: CPU seconds (user+sys of the child) are reported beside wall time, as they do not
// grow with other processes' load the way wall time does.
function child(script: string): { ms: number; maxRssMb: number; cpuS: number; out: string } {
  const code = `const t=performance.now();${script};`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: process.cwd(), encoding: 'utf8', maxBuffer: 1 << 20 });
  const m = /RESULT (\S+) (\S+) (\S+)/.exec(out);
  return { ms: Number(m?.[1]), maxRssMb: Number(m?.[2]), cpuS: Number(m?.[3]), out };
}

const exportTimes: number[] = [];
const exportRss: number[] = [];
const verifyTimes: number[] = [];
const exportCpu: number[] = [];
const verifyCpu: number[] = [];
for (let i = 0; i < 3; i++) {
  const e = child(`
    const { openDb } = await import('./src/db/client.ts'); const { exportAudit } = await import('./src/audit/export-audit.ts');
    const fs = await import('node:fs'); const out = fs.createWriteStream('${join(dir, 'out.jsonl')}');
    const db = openDb('${big}', { readonly: true }); const t0 = performance.now(); const c0 = process.cpuUsage();
    await exportAudit(db, { format: 'jsonl' }, out); out.end(); await new Promise(r => out.on('finish', r));
    console.log('RESULT', performance.now() - t0, process.resourceUsage().maxRSS / 1024, (() => { const u = process.cpuUsage(c0); return (u.user + u.system) / 1e6; })())`);
  exportTimes.push(e.ms); exportRss.push(e.maxRssMb); exportCpu.push(e.cpuS);
  const v = child(`
    const { openDb } = await import('./src/db/client.ts'); const { verifyChain } = await import('./src/audit/verify-chain.ts');
    const db = openDb('${big}', { readonly: true }); const t0 = performance.now(); const c0 = process.cpuUsage(); const r = verifyChain(db);
    if (!r.ok || r.count !== ${N}) throw new Error('verify failed');
    console.log('RESULT', performance.now() - t0, process.resourceUsage().maxRSS / 1024, (() => { const u = process.cpuUsage(c0); return (u.user + u.system) / 1e6; })())`);
  verifyTimes.push(v.ms); verifyCpu.push(v.cpuS);
}
console.log(`export ${N} JSONL: median ${(median(exportTimes) / 1000).toFixed(2)} s, peak RSS median ${Math.round(median(exportRss))} MB, CPU ${median(exportCpu).toFixed(2)} s (3 runs; an unfiltered export checks the chain in the same pass for the manifest head)`);
console.log(`verify ${N}: median ${(median(verifyTimes) / 1000).toFixed(2)} s, CPU ${median(verifyCpu).toFixed(2)} s (3 runs)`);
console.log(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).availableParallelism()} CPUs`);
rmSync(dir, { recursive: true, force: true }); // ~0.7 GB of DB and export files
