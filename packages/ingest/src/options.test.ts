import { ValidationError } from '@lake/errors'
import { Kafka } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { localCatalog } from '../test/helpers.js'
import { defaultRevocationBudgetMs, lakeFetchConfig, parseWorkerOptions } from './options.js'
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
    ['a schema evolution that is not one', { ...base, schemaEvolution: 'loose' }, 'schemaEvolution'],
    [
      'unknownFields beside add-columns',
      { ...base, schemaEvolution: 'add-columns', unknownFields: 'ignore' },
      'unknownFields',
    ],
    ['a fetch path that is not one', { ...base, fetchPath: 'librdkafka' }, 'fetchPath'],
    [
      "Lake's fetch path with a kafkajs client",
      { ...base, kafka: new Kafka({ brokers: ['127.0.0.1:9'] }), fetchPath: 'lake' },
      'fetchPath',
    ],
    [
      "Lake's fetch path with SASL",
      {
        ...base,
        kafka: { brokers: ['127.0.0.1:9'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } },
        fetchPath: 'lake',
      },
      'fetchPath',
    ],
    [
      'a revocation budget not less than the rebalance timeout',
      { ...base, consumer: { rebalanceTimeout: 20_000 }, revocation: { budgetMs: 20_000 } },
      'revocation.budgetMs',
    ],
  ])('refuses %s, naming the option', (_, options, field) => {
    try {
      createIngestWorker(options as never)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).context.field).toBe(field)
    }
  })

  it('derives the revocation budget from the rebalance timeout, leaving a heartbeat and 5 s', () => {
    expect(defaultRevocationBudgetMs()).toBe(30_000)
    expect(defaultRevocationBudgetMs({ rebalanceTimeout: 20_000, heartbeatInterval: 1_000 })).toBe(10_000)
    expect(defaultRevocationBudgetMs({ rebalanceTimeout: 10_000, heartbeatInterval: 3_000 })).toBe(2_000)
    expect(defaultRevocationBudgetMs({ rebalanceTimeout: 6_000 })).toBe(0)
  })

  it('fills the revocation budget in when the options are parsed', () => {
    expect(parseWorkerOptions(base).revocation.budgetMs).toBe(30_000)
    const given = parseWorkerOptions({ ...base, revocation: { budgetMs: 1_500 } })
    expect(given.revocation.budgetMs).toBe(1_500)
    expect(given.catalog).toBe(catalog)
  })

  it("takes Lake's fetch path wherever it can connect by itself", () => {
    expect(lakeFetchConfig(base.kafka)).toBe(base.kafka)
    expect(lakeFetchConfig({ brokers: ['127.0.0.1:9'], ssl: true })).toBeDefined()
    expect(lakeFetchConfig(new Kafka({ brokers: ['127.0.0.1:9'] }))).toBeUndefined()
    expect(lakeFetchConfig({ brokers: async () => ['127.0.0.1:9'] })).toBeUndefined()
    expect(createIngestWorker({ ...base, kafka: new Kafka({ brokers: ['127.0.0.1:9'] }) })).toBeDefined()
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
