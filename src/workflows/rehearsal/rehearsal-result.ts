// What a plan's rehearsal found (issue #13 item 1): stored in the plan, shown on the card, part of the digest.
export interface RehearsalFailure {
  /** The run that failed: the rehearsed migration, or the rollback rehearsed after it. */
  phase: 'migrate' | 'rollback';
  /** Step id where it stopped (e.g. "prepare-nodes", "verify:2"). */
  step: string;
  /** Nodes the failing step named (failed node results), first ones only. */
  nodes: string[];
  /** How many more nodes failed alike beyond `nodes`. */
  more?: number;
  reason: string;
}

export interface Rehearsal {
  /** ok: migrate then rollback succeeded; failed: one of them did not; skipped: `--no-rehearse`; error: the sandbox itself failed. */
  outcome: 'ok' | 'failed' | 'skipped' | 'error';
  /** Restart batches of the rehearsed migration (canary included). */
  batches: number;
  failure?: RehearsalFailure;
  /** Set for outcome error: why the rehearsal could not run. */
  error?: string;
  /** Wall time, for the operator; not part of the digest. */
  durationMs: number;
}

/** The part of a rehearsal the plan digest covers: what approvers judge, not how long it took. */
export function rehearsalDigestPart(r: Rehearsal): Record<string, unknown> {
  return { outcome: r.outcome, batches: r.batches, ...(r.failure ? { failure: r.failure } : {}), ...(r.error ? { error: r.error } : {}) };
}

/** A rehearsal that failed (or could not run) blocks approval like a blocking check; a skipped one does not. */
export function rehearsalBlocks(r: Rehearsal | undefined): boolean {
  return r !== undefined && (r.outcome === 'failed' || r.outcome === 'error');
}

/** One line: "rehearsed: migrate ok in 3 batches, rollback ok" / the step and node that failed / "not rehearsed". */
export function rehearsalLine(r: Rehearsal | undefined): string {
  if (!r || r.outcome === 'skipped') return 'not rehearsed';
  if (r.outcome === 'error') return `rehearsal could not run: ${r.error ?? 'unknown error'}`;
  const batches = `${r.batches} batch${r.batches === 1 ? '' : 'es'}`;
  if (r.outcome === 'ok') return `rehearsed: migrate ok in ${batches}, rollback ok`;
  const f = r.failure!;
  const where = `${f.step}${f.nodes.length ? ` on ${f.nodes.join(', ')}${f.more ? ` and ${f.more} more` : ''}` : ''}`;
  return f.phase === 'migrate'
    ? `rehearsal failed: migrate fails at ${where}: ${f.reason}`
    : `rehearsal failed: migrate ok in ${batches}, rollback fails at ${where}: ${f.reason}`;
}
