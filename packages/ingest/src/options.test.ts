import { ValidationError } from '@lake/errors'
import { describe, expect, it } from 'vitest'
import { localCatalog } from '../test/helpers.js'
import { createIngestWorker } from './worker.js'

describe('worker options', async () => {
  const catalog = await localCatalog()
  const base = { kafka: { brokers: ['127.0.0.1:9'] }, groupId: 'g', topics: ['t'], catalog, table: 'db.t' }

  it('accepts a minimal configuration without connecting', () => {
    expect(createIngestWorker(base)).toBeDefined()
  })

  it.each([
    ['no topics', { ...base, topics: [] }, 'topics'],
    ['both table and route', { ...base, route: { tables: { a: 'db.a' }, by: 'kind' } }, 'options'],
    ['neither table nor route', { ...base, table: undefined }, 'options'],
    ['an unknown option', { ...base, tabel: 'db.t' }, 'options'],
    ['dead-letter mode without a topic', { ...base, deadLetter: { mode: 'dead-letter' } }, 'deadLetter'],
    ['a zero commit interval', { ...base, commit: { intervalMs: 0 } }, 'commit.intervalMs'],
    ['a decoder that is not one', { ...base, decode: 'xml' }, 'decode'],
  ])('refuses %s, naming the option', (_, options, field) => {
    try {
      createIngestWorker(options as never)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).context.field).toBe(field)
    }
  })

  it('refuses a bad Avro schema when the worker is created, not per record', () => {
    expect(() =>
      createIngestWorker({
        ...base,
        decode: { avro: { type: 'record', name: 'R', fields: [{ name: 'x', type: 'Nope' }] } },
      }),
    ).toThrow(ValidationError)
  })
})
