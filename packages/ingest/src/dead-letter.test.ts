import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { DeadLetterHeaders, deadLetterMessage } from './dead-letter.js'

describe('dead letters', () => {
  const meta = {
    topic: 'events',
    partition: 3,
    offset: 42n,
    timestamp: new Date(1_700_000_000_000),
    key: Buffer.from('k1'),
    headers: { trace: Buffer.from('abc') },
  }

  it('keep the original key, value and headers, and name the reason, field, source and table', () => {
    const error = new ValidationError("Field 'amount': 'x' is not a valid decimal(10, 2)", {
      context: { field: 'amount' },
    })
    const message = deadLetterMessage({
      stage: 'validate',
      error,
      meta,
      value: Buffer.from('{"amount":"x"}'),
      table: 'db.t',
    })
    expect(message.key).toEqual(Buffer.from('k1'))
    expect(message.value).toEqual(Buffer.from('{"amount":"x"}'))
    expect(message.headers).toEqual({
      trace: Buffer.from('abc'),
      [DeadLetterHeaders.code]: 'LAKE_VALIDATION',
      [DeadLetterHeaders.message]: error.message,
      [DeadLetterHeaders.stage]: 'validate',
      [DeadLetterHeaders.field]: 'amount',
      [DeadLetterHeaders.topic]: 'events',
      [DeadLetterHeaders.partition]: '3',
      [DeadLetterHeaders.offset]: '42',
      [DeadLetterHeaders.timestamp]: '1700000000000',
      [DeadLetterHeaders.table]: 'db.t',
    })
  })

  it('name errors that are not Lake errors LAKE_INGEST and cut long messages', () => {
    const message = deadLetterMessage({
      stage: 'transform',
      error: new Error('x'.repeat(5000)),
      meta,
      value: null,
    })
    expect(message.headers[DeadLetterHeaders.code]).toBe('LAKE_INGEST')
    expect(String(message.headers[DeadLetterHeaders.message]).length).toBe(2001)
    expect(message.headers[DeadLetterHeaders.table]).toBeUndefined()
  })
})
