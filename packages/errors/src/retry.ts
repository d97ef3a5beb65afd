import pRetry, { AbortError as PRetryAbortError } from 'p-retry'
import { AbortedError, isRetryable } from './errors.js'
import { type LakeHooks, noopHooks } from './hooks.js'

/** How an operation is retried. All durations are in milliseconds. */
export interface RetryPolicy {
  /** Retries after the first attempt (so `retries: 4` means at most 5 attempts). Default 4. */
  retries?: number
  /** Delay before the first retry. Default 100. */
  minDelayMs?: number
  /** Upper bound of any one delay. Default 10 000. */
  maxDelayMs?: number
  /** Growth factor of the delay per attempt. Default 2. */
  factor?: number
  /** Randomise each delay by a factor in [1, 2) to spread out competing clients. Default true. */
  jitter?: boolean
  /** Stops waiting and retrying when aborted. */
  signal?: AbortSignal
  /** Where each failed attempt is reported. */
  hooks?: LakeHooks
  /** A name for the operation in metrics and logs, e.g. `catalog.commit`. */
  operation?: string
  /**
   * Decides whether an error is worth another attempt. Defaults to {@link isRetryable}:
   * only a `LakeError` marked retryable is retried.
   */
  shouldRetry?: (error: unknown) => boolean
}

/** The defaults of {@link RetryPolicy}. */
export const defaultRetryPolicy = Object.freeze({
  retries: 4,
  minDelayMs: 100,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: true,
})

/**
 * Runs `fn` and retries it with exponential backoff and jitter while it fails with a
 * retryable error. A non-retryable error is rethrown at once, unchanged; so are programmer
 * errors (`TypeError`, `RangeError`, …) whatever `shouldRetry` says.
 *
 * Each failed attempt is reported through `hooks` as the counter
 * `lake.retry.attempt_failed` and a `retry.attempt_failed` log event.
 *
 * @example
 * ```ts
 * const metadata = await withRetry(() => io.read(path), { operation: 'io.read', retries: 3 })
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = {},
): Promise<T> {
  const hooks = policy.hooks ?? noopHooks
  const shouldRetry = policy.shouldRetry ?? isRetryable
  const operation = policy.operation ?? 'operation'
  const signal = policy.signal
  if (signal?.aborted) throw new AbortedError(`${operation} was aborted`, { cause: signal.reason })
  let attempt = 0
  try {
    return await pRetry(
      async () => {
        attempt += 1
        try {
          return await fn(attempt)
        } catch (error) {
          if (isProgrammerError(error) || !shouldRetry(error)) throw new PRetryAbortError(wrapForAbort(error))
          throw error
        }
      },
      {
        retries: policy.retries ?? defaultRetryPolicy.retries,
        minTimeout: policy.minDelayMs ?? defaultRetryPolicy.minDelayMs,
        maxTimeout: policy.maxDelayMs ?? defaultRetryPolicy.maxDelayMs,
        factor: policy.factor ?? defaultRetryPolicy.factor,
        randomize: policy.jitter ?? defaultRetryPolicy.jitter,
        ...(signal ? { signal } : {}),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          const tags = { operation }
          hooks.counter('lake.retry.attempt_failed', 1, tags)
          hooks.log({
            level: retriesLeft > 0 ? 'warn' : 'error',
            event: 'retry.attempt_failed',
            message: `${operation} failed on attempt ${attemptNumber} (${retriesLeft} retries left): ${describe(error)}`,
            fields: { operation, attempt: attemptNumber, retriesLeft, error },
          })
        },
      },
    )
  } catch (error) {
    const original = unwrapAbort(error)
    if (signal?.aborted && original === signal.reason) {
      throw new AbortedError(`${operation} was aborted`, { cause: signal.reason })
    }
    throw original
  }
}

const ABORT_CARRIER = Symbol('lake.retry.carrier')

interface Carrier extends Error {
  [ABORT_CARRIER]: unknown
}

/** p-retry's AbortError wants an Error or a message; carry the original so it is rethrown unchanged. */
function wrapForAbort(error: unknown): Error {
  const carrier = new Error('non-retryable') as Carrier
  carrier[ABORT_CARRIER] = error
  return carrier
}

function unwrapAbort(error: unknown): unknown {
  if (error instanceof Error && ABORT_CARRIER in error) return (error as Carrier)[ABORT_CARRIER]
  return error
}

function isProgrammerError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
