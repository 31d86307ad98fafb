// `npm run demo`: the whole workflow on the sandbox, the channel printed as a transcript; exit 0 on success.
import { condenseCodeBlocks } from './demo/condense.js';
import { runDemo } from './demo/run-demo.js';

const nodesArg = process.argv.indexOf('--nodes');
const nodes = nodesArg >= 0 ? Number(process.argv[nodesArg + 1]) : 3;
// Each card is shown as first posted (the plan the approver saw) and as finished; `--full` shows every version
// of each card and every code block uncut.
const full = process.argv.includes('--full');
// `--socket-mode`: Slack reaches the bot over Socket Mode (how deploy/ runs it) instead of signed HTTP requests.
const socketMode = process.argv.includes('--socket-mode');
runDemo({ nodes, socketMode, versions: full ? 'all' : 'first-and-latest', progress: (l) => process.stderr.write(`${l}
`) }).then((r) => {
  process.stdout.write(`
──── #platform-ops (Slack stand-in transcript) ────
${full ? r.transcript : condenseCodeBlocks(r.transcript, 12)}
${r.fleetTranscript ? `\n──── #fleet-ops: the fleet part (Slack stand-in transcript) ────\n${full ? r.fleetTranscript : condenseCodeBlocks(r.fleetTranscript, 12)}\n` : ''}──── checks ────
`);
  for (const c of r.checks) process.stdout.write(`${c.ok ? '✔' : '✘'} ${c.what}\n`);
  process.stdout.write(r.ok ? '\ndemo: OK\n' : '\ndemo: FAILED\n');
  process.exit(r.ok ? 0 : 1);
}, (err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
