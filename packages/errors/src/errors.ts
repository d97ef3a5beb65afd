import { type ErrorCode, ErrorCodes } from './codes.js'

/**
 * Structured facts about an error: the identifiers a person needs to find what failed.
 * Keys are open so each package can add what it knows (a topic, an offset, a query id).
 */
export interface ErrorContext {
  /** Fully qualified table identifier, e.g. `db.events`. */
  table?: string
  /** Namespace, dot-joined. */
  namespace?: string
  /** A file path or URI. */
  file?: string
  /** A field (column) name or dotted path. */
  field?: string
  /** Zero-based row index within the input. */
  row?: number
  [key: string]: unknown
}

/** Options accepted by every {@link LakeError} constructor. */
export interface LakeErrorOptions {
  /** The underlying error. */
  cause?: unknown
  /** Whether retrying the same operation may succeed. Defaults to `false`. */
  retryable?: boolean
  /** Identifiers of what failed. */
  context?: ErrorContext
}

const LAKE_ERROR = Symbol.for('lake.error')

/**
 * The base of every error Lake throws.
 *
 * `retryable` defaults to `false`: retrying a commit blindly is how data gets written twice,
 * so only errors created where a retry is known to be safe set it.
 *
 * @example
 * ```ts
 * try {
 *   await catalog.loadTable('db.events')
 * } catch (err) {
 *   if (isLakeError(err) && err.code === ErrorCodes.NOT_FOUND) console.log(err.context.table)
 * }
 * ```
 */
export class LakeError extends Error {
  override name = 'LakeError'
  /** A stable code from {@link ErrorCodes}. */
  readonly code: ErrorCode
  /** Whether the same operation may succeed if tried again. */
  readonly retryable: boolean
  /** Identifiers of what failed. */
  readonly context: ErrorContext
  readonly [LAKE_ERROR] = true

  constructor(code: ErrorCode, message: string, options: LakeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options.retryable ?? false
    this.context = options.context ?? {}
  }

  /** A plain object for structured logs. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      context: this.context,
      cause:
        this.cause instanceof Error ? { name: this.cause.name, message: this.cause.message } : this.cause,
    }
  }
}

/** Input was refused: a bad option, identifier, row, literal or schema change. Never retryable. */
export class ValidationError extends LakeError {
  override name = 'ValidationError'
  constructor(message: string, options: Omit<LakeErrorOptions, 'retryable'> = {}) {
    super(ErrorCodes.VALIDATION, message, { ...options, retryable: false })
  }
}

/** Something named does not exist: a namespace, table, snapshot, ref or file. */
export class NotFoundError extends LakeError {
  override name = 'NotFoundError'
  constructor(message: string, options: Omit<LakeErrorOptions, 'retryable'> = {}) {
    super(ErrorCodes.NOT_FOUND, message, { ...options, retryable: false })
  }
}

/** A namespace or table that was to be created already exists. */
export class AlreadyExistsError extends LakeError {
  override name = 'AlreadyExistsError'
  constructor(message: string, options: Omit<LakeErrorOptions, 'retryable'> = {}) {
    super(ErrorCodes.ALREADY_EXISTS, message, { ...options, retryable: false })
  }
}

/**
 * A commit lost the race for the next metadata version, or its requirements no longer hold.
 * Retryable by default: the commit loop reloads the table, re-checks and re-applies.
 */
export class CommitConflictError extends LakeError {
  override name = 'CommitConflictError'
  constructor(message: string, options: LakeErrorOptions = {}) {
    super(ErrorCodes.COMMIT_CONFLICT, message, { retryable: true, ...options })
  }
}

/**
 * A commit may or may not have been applied (the connection dropped after the rename was sent).
 * Never retryable: the caller must reload and check before doing anything else.
 */
export class CommitStateUnknownError extends LakeError {
  override name = 'CommitStateUnknownError'
  constructor(message: string, options: Omit<LakeErrorOptions, 'retryable'> = {}) {
    super(ErrorCodes.COMMIT_STATE_UNKNOWN, message, { ...options, retryable: false })
  }
}

/** Reading or writing storage failed. Retryable only when the backend says the fault is transient. */
export class StorageError extends LakeError {
  override name = 'StorageError'
  constructor(message: string, options: LakeErrorOptions = {}) {
    super(ErrorCodes.STORAGE, message, options)
  }
}

/** A stored file is corrupt, truncated or does not follow the spec. Never read as partial data. */
export class CorruptFileError extends LakeError {
  override name = 'CorruptFileError'
  constructor(message: string, options: Omit<LakeErrorOptions, 'retryable'> = {}) {
    super(ErrorCodes.CORRUPT_FILE, message, { ...options, retryable: false })
  }
}

/** A valid request this version of Lake does not support. */
export class UnsupportedError extends LakeError {
  override name = 'UnsupportedError'
  constructor(message: string, options: Omit<LakeErrorOptions, 'retryable'> = {}) {
    super(ErrorCodes.UNSUPPORTED, message, { ...options, retryable: false })
  }
}

/** A query engine rejected or failed a query. */
export class QueryError extends LakeError {
  override name = 'QueryError'
  constructor(message: string, options: LakeErrorOptions = {}) {
    super(ErrorCodes.QUERY, message, options)
  }
}

/** Ingesting a record or batch failed. */
export class IngestError extends LakeError {
  override name = 'IngestError'
  constructor(message: string, options: LakeErrorOptions = {}) {
    super(ErrorCodes.INGEST, message, options)
  }
}

/** The operation was aborted through its AbortSignal. */
export class AbortedError extends LakeError {
  override name = 'AbortedError'
  constructor(message = 'The operation was aborted', options: Omit<LakeErrorOptions, 'retryable'> = {}) {
    super(ErrorCodes.ABORTED, message, { ...options, retryable: false })
  }
}

/** True when `value` is a {@link LakeError}, also across copies of this package. */
export function isLakeError(value: unknown): value is LakeError {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[LAKE_ERROR] === true
  )
}

/**
 * True when retrying may help: a {@link LakeError} marked retryable.
 * Programmer errors (`TypeError`, `RangeError`, …) and unknown errors are never retryable.
 */
export function isRetryable(value: unknown): boolean {
  return isLakeError(value) && value.retryable
}
