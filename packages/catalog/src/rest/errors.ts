import {
  AlreadyExistsError,
  CommitConflictError,
  CommitStateUnknownError,
  isLakeError,
  NotFoundError,
  StorageError,
  UnsupportedError,
  ValidationError,
} from '@lake/errors'

/**
 * An answer in the spec's error model, `{ error: { message, type, code } }`, with the HTTP
 * status as `code` and the exception name a Java or Python client maps back to its own errors.
 */
export class RestError extends Error {
  override name = 'RestError'
  readonly status: number
  readonly type: string
  readonly headers: Readonly<Record<string, string>>

  constructor(status: number, type: string, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.type = type
    this.headers = headers
  }

  /** The response body. */
  toJSON(): { error: { message: string; type: string; code: number } } {
    return { error: { message: this.message, type: this.type, code: this.status } }
  }
}

/** What a route is about, so that a bare `NotFoundError` is named as the client expects. */
export type Subject = 'namespace' | 'table' | 'catalog'

/**
 * The REST error for what a catalog threw. Only Lake's own errors keep their message; anything
 * else is a bug and answers "Internal server error" without details.
 */
export function toRestError(error: unknown, subject: Subject): RestError {
  if (error instanceof RestError) return error
  if (!isLakeError(error)) return new RestError(500, 'InternalServerError', 'Internal server error')
  const message = error.message
  if (error instanceof ValidationError) return new RestError(400, 'BadRequestException', message)
  if (error instanceof NotFoundError) {
    const namespace = error.context.namespace !== undefined && error.context.table === undefined
    const type = namespace || subject === 'namespace' ? 'NoSuchNamespaceException' : 'NoSuchTableException'
    return new RestError(404, type, message)
  }
  if (error instanceof AlreadyExistsError) return new RestError(409, 'AlreadyExistsException', message)
  if (error instanceof CommitConflictError) return new RestError(409, 'CommitFailedException', message)
  // The client must not clean up after a commit that may have landed: 500 says so in the spec.
  if (error instanceof CommitStateUnknownError) {
    return new RestError(500, 'CommitStateUnknownException', message)
  }
  if (error instanceof UnsupportedError) return new RestError(406, 'UnsupportedOperationException', message)
  if (error instanceof StorageError && error.retryable) {
    return new RestError(503, 'ServiceUnavailableException', message)
  }
  return new RestError(500, 'InternalServerError', message)
}

/**
 * Runs the parsing of a request body: whatever a parser throws about malformed JSON (Lake's
 * readers throw `CorruptFileError`, made for files) is the client's bad request here.
 */
export function parseRequest<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (isLakeError(error) && !(error instanceof ValidationError) && !(error instanceof UnsupportedError)) {
      throw new RestError(400, 'BadRequestException', error.message)
    }
    throw error
  }
}

/** A 400 about the request itself. */
export function badRequest(message: string): RestError {
  return new RestError(400, 'BadRequestException', message)
}
