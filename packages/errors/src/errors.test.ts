import { describe, expect, it } from 'vitest'
import { ErrorCodes } from './codes.js'
import {
  CommitConflictError,
  CommitStateUnknownError,
  isLakeError,
  isRetryable,
  LakeError,
  StorageError,
  ValidationError,
} from './errors.js'

describe('LakeError', () => {
  it('is not retryable unless the creator says so', () => {
    expect(new LakeError(ErrorCodes.STORAGE, 'x').retryable).toBe(false)
    expect(new StorageError('x').retryable).toBe(false)
    expect(new StorageError('x', { retryable: true }).retryable).toBe(true)
  })

  it('marks commit conflicts retryable and unknown commit states not', () => {
    expect(new CommitConflictError('lost race').retryable).toBe(true)
    expect(new CommitStateUnknownError('unknown').retryable).toBe(false)
  })

  it('keeps its code, context and cause', () => {
    const cause = new Error('disk full')
    const err = new ValidationError('bad field', { context: { table: 'db.t', field: 'a.b' }, cause })
    expect(err.code).toBe('LAKE_VALIDATION')
    expect(err.name).toBe('ValidationError')
    expect(err.context).toEqual({ table: 'db.t', field: 'a.b' })
    expect(err.cause).toBe(cause)
    expect(err).toBeInstanceOf(LakeError)
    expect(err).toBeInstanceOf(Error)
    expect(err.toJSON()).toMatchObject({
      code: 'LAKE_VALIDATION',
      context: { field: 'a.b' },
      cause: { message: 'disk full' },
    })
  })

  it('is recognised by the guards and plain errors are not', () => {
    expect(isLakeError(new StorageError('x'))).toBe(true)
    expect(isLakeError(new Error('x'))).toBe(false)
    expect(isLakeError(null)).toBe(false)
    expect(isRetryable(new TypeError('x'))).toBe(false)
    expect(isRetryable(new StorageError('x', { retryable: true }))).toBe(true)
  })
})
