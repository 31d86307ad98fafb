// One error type for steps: a class and a retry decision, never a message to compare (STYLE habit 6).
// Anything a step throws that is not a StepError is normalised once by `toStepError` to 'fatal'.

export type StepErrorKind =
  /** Transient (409/429/5xx/timeout): retried with exponential backoff up to the step's `retry.max`. */
  | 'retryable'
  /** The step failed for good: the run compensates (or fails when auto-rollback is off). */
  | 'fatal'
  /** The world no longer matches the approved plan: the run is voided and its approvals with it. */
  | 'drift'
  /** The side effect may or may not have happened: re-observed, else the run waits for an operator. */
  | 'unknown-outcome'
  /**
   * A check could not tell pass from fail (no DNS endpoints, a metrics endpoint silent): the run waits for an
   * operator (Continue accepts the step with `detail.result`; Roll back; Abort) until its decision deadline, then
   * the engine rolls back. `detail.checks` names the checks (shown in Slack and the audit).
   */
  | 'inconclusive';

export class StepError extends Error {
  constructor(
    readonly kind: StepErrorKind,
    message: string,
    options?: { cause?: unknown; detail?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepError';
    this.detail = options?.detail;
  }
  readonly detail: Record<string, unknown> | undefined;
}

export function toStepError(err: unknown): StepError {
  if (err instanceof StepError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StepError('fatal', message, { cause: err });
}
