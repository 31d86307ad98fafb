// The image cannot be built here (no Docker engine), so its structure is checked instead: stages, non-root user,
// production-only node_modules, every COPY source present, health check, and the same start command as `npm start`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface Instr { op: string; args: string; line: number }
interface Stage { base: string; name?: string; instrs: Instr[] }

/** Instructions with `\` continuations joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const instrs: Instr[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!buf && (line === '' || line.startsWith('#'))) return;
    if (buf && line.startsWith('#')) return;
    if (!buf) start = i + 1;
    buf += (buf ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      const m = /^(\S+)\s*(.*)$/.exec(buf);
      if (m) instrs.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
      buf = '';
    }
  });
  const stages: Stage[] = [];
  for (const ins of instrs) {
    if (ins.op === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ base: m?.[1] ?? '', ...(m?.[2] ? { name: m[2] } : {}), instrs: [] });
    } else {
      stages.at(-1)?.instrs.push(ins);
    }
  }
  return stages;
}

function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' };
}

/** Paths (absolute, in the image) a build stage produces: what it COPYs in plus the outputs of known commands. */
function producedPaths(stage: Stage): Set<string> {
  const out = new Set<string>();
  let workdir = '/';
  const abs = (p: string) => (p.startsWith('/') ? p : join(workdir, p)).replace(/\/$/, '') || '/';
  for (const ins of stage.instrs) {
    if (ins.op === 'WORKDIR') workdir = abs(ins.args);
    if (ins.op === 'COPY') {
      const c = copyParts(ins.args);
      for (const s of c.sources) out.add(c.dest.endsWith('/') || c.sources.length > 1 ? abs(join(c.dest, s)) : abs(c.dest));
    }
    if (ins.op === 'RUN') {
      if (/\bnpm (ci|install)\b/.test(ins.args)) out.add(abs('node_modules'));
      if (/\bnpm run build\b/.test(ins.args)) out.add(abs(JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions.outDir));
    }
  }
  return out;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('Dockerfile', () => {
  it('has a build stage on the full Node 20 image and a slim Node 20 runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatchObject({ base: 'node:20-bookworm', name: 'build' });
    expect(runtime.base).toBe('node:20-bookworm-slim');
  });

  it('runs as a non-root numeric user in the runtime stage, set before the command', () => {
    const users = runtime.instrs.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0]!;
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
    const cmdIdx = runtime.instrs.findIndex((i) => i.op === 'CMD');
    expect(runtime.instrs.indexOf(users.at(-1)!)).toBeLessThan(cmdIdx);
  });

  it('copies node_modules only after `npm prune --omit=dev`, and never installs dev dependencies at run time', () => {
    const build = stages[0]!;
    const ci = build.instrs.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    const prune = build.instrs.findIndex((i) => i.op === 'RUN' && /\bnpm prune\b[^&]*--omit=dev/.test(i.args));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(prune).toBeGreaterThan(ci);
    // nothing re-installs after the prune
    expect(build.instrs.slice(prune + 1).some((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args))).toBe(false);
    // the runtime stage gets node_modules from the pruned build stage and runs no installer of its own
    const nm = runtime.instrs.filter((i) => i.op === 'COPY' && copyParts(i.args).sources.some((s) => s.includes('node_modules')));
    expect(nm).toHaveLength(1);
    expect(copyParts(nm[0]!.args).from).toBe('build');
    expect(runtime.instrs.some((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args))).toBe(false);
    // and copies no sources or dev tooling
    for (const i of runtime.instrs.filter((x) => x.op === 'COPY')) {
      for (const s of copyParts(i.args).sources) {
        expect(s).not.toMatch(/(^|\/)(src|test|bench|tsconfig[^/]*)$/);
        for (const dev of Object.keys(pkg.devDependencies)) expect(s).not.toContain(`node_modules/${dev}`);
      }
    }
  });

  it('COPYs only files that exist in the repo (and are not docker-ignored) or that an earlier stage produced', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const named = new Map(stages.filter((s) => s.name).map((s) => [s.name!, s]));
    let copies = 0;
    for (const stage of stages) {
      for (const ins of stage.instrs.filter((i) => i.op === 'COPY')) {
        const c = copyParts(ins.args);
        for (const src of c.sources) {
          copies++;
          if (c.from) {
            const from = named.get(c.from);
            expect(from, `line ${ins.line}: unknown stage ${c.from}`).toBeDefined();
            expect(stages.indexOf(from!), `line ${ins.line}: stage ${c.from} must come first`).toBeLessThan(stages.indexOf(stage));
            expect([...producedPaths(from!)], `line ${ins.line}: ${src} is not produced by stage ${c.from}`).toContain(src.replace(/\/$/, ''));
          } else {
            expect(existsSync(join(ROOT, src)), `line ${ins.line}: ${src} missing from the repo`).toBe(true);
            expect(ignored, `line ${ins.line}: ${src} is excluded by .dockerignore`).not.toContain(src.replace(/\/$/, ''));
          }
        }
      }
    }
    expect(copies).toBeGreaterThan(5);
    // secrets and local state stay out of the build context
    for (const p of ['.git', 'node_modules', 'dist', '.env', '*.db']) expect(ignored).toContain(p);
  });

  it('declares the /data volume with the DB there, a HEALTHCHECK on /healthz, and starts like `npm start`', () => {
    expect(runtime.instrs.some((i) => i.op === 'VOLUME' && /\/data\b/.test(i.args))).toBe(true);
    expect(runtime.instrs.some((i) => i.op === 'ENV' && /IPVS_BOT_DB=\/data\/\S+\.db/.test(i.args))).toBe(true);
    const hc = runtime.instrs.find((i) => i.op === 'HEALTHCHECK');
    expect(hc?.args).toMatch(/CMD/);
    expect(hc?.args).toContain('/healthz');
    expect(hc?.args).not.toMatch(/\bcurl\b|\bwget\b/); // neither exists in the slim image
    const cmd = JSON.parse(runtime.instrs.find((i) => i.op === 'CMD')!.args) as string[];
    expect(cmd.join(' ')).toBe(pkg.scripts.start);
    // the file the command runs is what tsc emits for src/main.ts (outDir + path below rootDir)
    const { outDir, rootDir } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions as { outDir: string; rootDir: string };
    expect(cmd[1]).toBe(join(outDir, relative(join(ROOT, rootDir), join(ROOT, 'src', 'main.js'))));
  });

  it('the compiled code needs nothing the image lacks: imports stay inside src/ and use production dependencies only', () => {
    const files = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'src', f));
    expect(files.length).toBeGreaterThan(10);
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // value imports and re-exports (type-only ones vanish at compile time), and dynamic imports
      const specs = [
        ...[...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/g)].map((m) => m[1]!),
        ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
      ];
      for (const spec of specs) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(join(ROOT, 'src') + '/')) problems.push(`${relative(ROOT, file)}: ${spec} leaves src/ (not in the image)`);
        } else if (!spec.startsWith('node:') && !builtins.has(spec)) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!(name in pkg.dependencies)) problems.push(`${relative(ROOT, file)}: ${spec} is not a production dependency (pruned from the image)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the HEALTHCHECK command itself exits 0 on a 200 from /healthz and 1 on a 503 or no answer', async () => {
    const hc = runtime.instrs.find((i) => i.op === 'HEALTHCHECK')!;
    const argv = JSON.parse(hc.args.slice(hc.args.indexOf('CMD') + 3).trim()) as string[];
    expect(argv[0]).toBe('node');
    let status = 200;
    const paths: string[] = [];
    const server = createServer((req, res) => { paths.push(req.url ?? ''); res.writeHead(status).end(); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const run = (p: number) => new Promise<number>((resolve) => {
      execFile(process.execPath, argv.slice(1), { env: { PORT: String(p) }, timeout: 20_000 }, (err) => resolve(err ? Number(err.code ?? -1) : 0));
    });
    try {
      expect(await run(port)).toBe(0);
      status = 503;
      expect(await run(port)).toBe(1);
      expect(paths).toEqual(['/healthz', '/healthz']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(await run(port)).toBe(1); // nobody listening
  });
});
