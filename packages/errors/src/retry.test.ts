import { describe, expect, it } from 'vitest'
import { AbortedError, StorageError, ValidationError } from './errors.js'
import type { LakeHooks, LogEvent } from './hooks.js'
import { withRetry } from './retry.js'

const fast = { minDelayMs: 1, maxDelayMs: 2 }

function recordingHooks(): LakeHooks & { counters: string[]; logs: LogEvent[] } {
  const counters: string[] = []
  const logs: LogEvent[] = []
  return {
    counters,
    logs,
    counter: (name) => counters.push(name),
    histogram: () => {},
    gauge: () => {},
    log: (event) => logs.push(event),
  }
}

describe('withRetry', () => {
  it('retries a retryable error until it succeeds and reports each failed attempt', async () => {
    const hooks = recordingHooks()
    let calls = 0
    const result = await withRetry(
      async () => {
        calls += 1
        if (calls < 3) throw new StorageError('safe mode', { retryable: true })
        return 'ok'
      },
      { ...fast, hooks, operation: 'io.read' },
    )
    expect(result).toBe('ok')
    expect(calls).toBe(3)
    expect(hooks.counters).toEqual(['lake.retry.attempt_failed', 'lake.retry.attempt_failed'])
    expect(hooks.logs[0]).toMatchObject({
      event: 'retry.attempt_failed',
      fields: { operation: 'io.read', attempt: 1 },
    })
  })

  it('rethrows a non-retryable error at once, unchanged', async () => {
    const err = new ValidationError('bad')
    let calls = 0
    await expect(
      withRetry(async () => {
        calls += 1
        throw err
      }, fast),
    ).rejects.toBe(err)
    expect(calls).toBe(1)
  })

  it('never retries programmer errors even when told everything is retryable', async () => {
    let calls = 0
    const err = new TypeError('undefined is not a function')
    await expect(
      withRetry(
        async () => {
          calls += 1
          throw err
        },
        { ...fast, shouldRetry: () => true },
      ),
    ).rejects.toBe(err)
    expect(calls).toBe(1)
  })

  it('gives up after the configured retries with the last error', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls += 1
          throw new StorageError(`attempt ${calls}`, { retryable: true })
        },
        { ...fast, retries: 2 },
      ),
    ).rejects.toThrow('attempt 3')
    expect(calls).toBe(3)
  })

  it('stops with an AbortedError when the signal aborts between attempts', async () => {
    const controller = new AbortController()
    let calls = 0
    const promise = withRetry(
      async () => {
        calls += 1
        controller.abort(new Error('shutdown'))
        throw new StorageError('transient', { retryable: true })
      },
      { minDelayMs: 50, maxDelayMs: 50, signal: controller.signal },
    )
    await expect(promise).rejects.toBeInstanceOf(AbortedError)
    expect(calls).toBe(1)
  })

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls += 1
        },
        { signal: controller.signal },
      ),
    ).rejects.toBeInstanceOf(AbortedError)
    expect(calls).toBe(0)
  })
})
