import { describe, expect, it } from 'vitest'
import { StackError } from '../src/env.mjs'
import { KAFKA_CLUSTER_ID, kafkaBrokers, kafkaEndpoints, kafkaServerProperties } from '../src/kafka.mjs'

describe('Kafka settings', () => {
  it('reads the broker and controller ports from the environment', () => {
    expect(kafkaBrokers({})).toEqual(['127.0.0.1:9092'])
    expect(kafkaBrokers({ LAKE_KAFKA_PORT: '19092' })).toEqual(['127.0.0.1:19092'])
    expect(kafkaEndpoints({ LAKE_KAFKA_CONTROLLER_PORT: '19093' }).ports).toEqual({
      broker: 9092,
      controller: 19093,
    })
    expect(() => kafkaBrokers({ LAKE_KAFKA_PORT: 'kafka' })).toThrow(StackError)
  })

  it('listens and advertises on 127.0.0.1 only, at the configured ports', () => {
    const properties = kafkaServerProperties(
      kafkaEndpoints({ LAKE_KAFKA_PORT: '19092', LAKE_KAFKA_CONTROLLER_PORT: '19093' }),
      '/data/kafka',
    )
    expect(properties.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093')
    expect(properties['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092')
    expect(properties['controller.quorum.voters']).toBe(`${properties['node.id']}@127.0.0.1:19093`)
    expect(properties['log.dirs']).toBe('/data/kafka')
  })

  it('asks no internal topic for more replicas than the one node has', () => {
    const properties = kafkaServerProperties(kafkaEndpoints({}), '/data/kafka')
    const replication = Object.entries(properties).filter(([name]) =>
      /(replication\.factor|min\.isr|min\.insync\.replicas)$/.test(name),
    )
    expect(replication.map(([name]) => name).sort()).toEqual([
      'default.replication.factor',
      'min.insync.replicas',
      'offsets.topic.replication.factor',
      'share.coordinator.state.topic.min.isr',
      'share.coordinator.state.topic.replication.factor',
      'transaction.state.log.min.isr',
      'transaction.state.log.replication.factor',
    ])
    for (const [, value] of replication) expect(value).toBe('1')
  })

  it('formats with a cluster id Kafka accepts: 16 bytes in URL-safe base64 without padding', () => {
    expect(KAFKA_CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(Buffer.from(KAFKA_CLUSTER_ID, 'base64url')).toHaveLength(16)
  })
})
