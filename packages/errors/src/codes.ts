/**
 * Every error code Lake raises, in one table so that callers can switch on them and
 * documentation can list them. Codes are stable: they never change meaning once released.
 */
export const ErrorCodes = {
  /** Input failed validation: an option, identifier, row, literal or schema change. */
  VALIDATION: 'LAKE_VALIDATION',
  /** A namespace, table, snapshot, ref, column or file does not exist. */
  NOT_FOUND: 'LAKE_NOT_FOUND',
  /** A namespace or table already exists. */
  ALREADY_EXISTS: 'LAKE_ALREADY_EXISTS',
  /** A commit lost a race or its requirements no longer hold. */
  COMMIT_CONFLICT: 'LAKE_COMMIT_CONFLICT',
  /** A commit may or may not have been applied; the caller must check before retrying. */
  COMMIT_STATE_UNKNOWN: 'LAKE_COMMIT_STATE_UNKNOWN',
  /** Reading or writing storage failed. */
  STORAGE: 'LAKE_STORAGE',
  /** A stored file (metadata, manifest, data) is corrupt, truncated or not what the spec says. */
  CORRUPT_FILE: 'LAKE_CORRUPT_FILE',
  /** The operation is valid but not supported by this version of Lake. */
  UNSUPPORTED: 'LAKE_UNSUPPORTED',
  /** A query engine rejected or failed a query. */
  QUERY: 'LAKE_QUERY',
  /** Ingestion of a record or batch failed. */
  INGEST: 'LAKE_INGEST',
  /** The operation was aborted through an AbortSignal. */
  ABORTED: 'LAKE_ABORTED',
} as const

/** The string literal union of {@link ErrorCodes} values. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]
