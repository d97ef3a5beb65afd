import { type ErrorContext, QueryError } from '@lake/errors'

/**
 * A query ended because it was cancelled: its AbortSignal fired, its `timeoutMs` passed, the
 * consumer stopped iterating, or someone killed it on the server. Its `name` is `AbortError`,
 * as for an aborted `fetch`, so `err.name === 'AbortError'` checks work; it is a
 * {@link QueryError} (code `LAKE_QUERY`) and never retryable.
 */
export class QueryCancelledError extends QueryError {
  override name = 'AbortError'
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, { ...options, retryable: false })
  }
}

/** The `error` object of a failed query in Trino's protocol. */
export interface TrinoFailure {
  message?: string
  errorCode?: number
  errorName?: string
  errorType?: string
  errorLocation?: { lineNumber?: number; columnNumber?: number }
  failureInfo?: { type?: string }
}

/**
 * The context of a {@link QueryError} raised for a query Trino failed: the query id and
 * Trino's error identifiers, and for syntax and analysis errors the line and column at fault.
 */
export interface TrinoErrorContext extends ErrorContext {
  queryId?: string
  /** Trino's error name, e.g. `SYNTAX_ERROR`, `TABLE_NOT_FOUND`, `PERMISSION_DENIED`. */
  errorName?: string
  /** Trino's numeric error code. */
  errorCode?: number
  /** `USER_ERROR`, `INTERNAL_ERROR`, `INSUFFICIENT_RESOURCES` or `EXTERNAL`. */
  errorType?: string
  /** 1-based line of the failing token, when Trino reports one. */
  line?: number
  /** 1-based column of the failing token, when Trino reports one. */
  column?: number
}

/** The QueryError of a query that Trino failed. */
export function failureError(failure: TrinoFailure, queryId: string | undefined): QueryError {
  const context: TrinoErrorContext = { queryId }
  if (failure.errorName !== undefined) context.errorName = failure.errorName
  if (failure.errorCode !== undefined) context.errorCode = failure.errorCode
  if (failure.errorType !== undefined) context.errorType = failure.errorType
  if (failure.errorLocation?.lineNumber !== undefined) context.line = failure.errorLocation.lineNumber
  if (failure.errorLocation?.columnNumber !== undefined) context.column = failure.errorLocation.columnNumber
  const message = `Query ${queryId ?? '(not started)'} failed: ${failure.message ?? failure.errorName ?? 'unknown error'}`
  if (failure.errorName === 'USER_CANCELED' || failure.errorName === 'ADMINISTRATIVELY_KILLED') {
    return new QueryCancelledError(message, { context })
  }
  return new QueryError(message, { context })
}
