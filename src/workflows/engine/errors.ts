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
  | 'unknown-outcome';

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
