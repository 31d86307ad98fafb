// The bot as operators run it: `node --import tsx src/main.ts` in its own process, configured by env + a YAML file.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildBot {
  child: ChildProcess;
  pid: number;
  out: () => string;
  err: () => string;
  /** Exit code (or the signal name) once it exits. */
  exited: Promise<number | string>;
}

export function spawnBot(env: Record<string, string>): ChildBot {
  // Only what the bot needs (no inherited KUBECONFIG or Slack variables from the developer's shell).
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, pid: child.pid ?? -1, out: () => out, err: () => err, exited };
}

/** Resolves once GET /readyz answers 200 (config loaded, migrations applied, Slack connected). */
export async function waitReady(port: number, bot: ChildBot, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  void bot.exited.then(() => { exited = true; });
  for (;;) {
    if (exited) throw new Error(`the bot exited during start-up:\n${bot.err()}\n${bot.out().slice(-2000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > end) throw new Error(`the bot was not ready within ${timeoutMs} ms:\n${bot.err()}\n${bot.out().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops a child this test started (by its pid), if it is still running. */
export async function killBot(bot: ChildBot | undefined): Promise<void> {
  if (!bot || bot.child.exitCode !== null || bot.child.signalCode !== null) return;
  bot.child.kill('SIGKILL');
  await bot.exited;
}
