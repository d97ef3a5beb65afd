export { type ErrorCode, ErrorCodes } from './codes.js'
export {
  AbortedError,
  AlreadyExistsError,
  CommitConflictError,
  CommitStateUnknownError,
  CorruptFileError,
  type ErrorContext,
  IngestError,
  isLakeError,
  isRetryable,
  LakeError,
  type LakeErrorOptions,
  NotFoundError,
  QueryError,
  StorageError,
  UnsupportedError,
  ValidationError,
} from './errors.js'
export { type LakeHooks, type LogEvent, type LogLevel, noopHooks, resolveHooks, type Tags } from './hooks.js'
export { defaultRetryPolicy, type RetryPolicy, withRetry } from './retry.js'
