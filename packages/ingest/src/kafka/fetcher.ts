/**
 * Lake's own Kafka fetch path: it fetches the partitions it is given from their leaders and
 * decodes their record batches into lean records (see `record-batch.ts`). It holds no group
 * membership and commits nothing; the positions are the caller's, as Lake's are the table's.
 *
 * One fetch per leader is kept in flight ahead of the caller: while the caller handles what one
 * response brought, the next is on its way. A partition sought or unassigned while a fetch for
 * it was in flight has that fetch's data for it dropped.
 *
 * @module
 */
import { IngestError, isRetryable } from '@lake/errors'
import { BrokerConnection, type ConnectOptions } from './connection.js'
import {
  type BrokerAddress,
  EARLIEST,
  type FetchedPartition,
  fetchRequest,
  isLeaderError,
  isTransientError,
  KafkaErrorCodes,
  LATEST,
  listOffsetsRequest,
  type Metadata,
  metadataRequest,
} from './protocol.js'
import { decodeRecords, type KafkaRecords } from './record-batch.js'

export interface FetcherOptions extends ConnectOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[]
  /** `read_committed` (the default, as kafkajs's) or `read_uncommitted`. */
  readonly readCommitted: boolean
  /** How long the broker may wait for `minBytes` (kafkajs's `maxWaitTimeInMs`). */
  readonly maxWaitMs: number
  readonly minBytes: number
  readonly maxBytes: number
  readonly maxBytesPerPartition: number
  /** Where a partition whose position is out of range (deleted by retention) starts again. */
  readonly resetTo: 'earliest' | 'latest'
  /** Failed attempts in a row before {@link Fetcher.next} throws; each waits twice as long, from 100 ms to 10 s. */
  readonly retries: number
  /** Called on what is worth a log line: leader moves, resets, retried failures. */
  readonly log?: (level: 'info' | 'warn', message: string, context: Record<string, unknown>) => void
}

/** One partition's records from one fetch. */
export interface FetchedBatch {
  readonly topic: string
  readonly partition: number
  /** Possibly empty: a batch of only aborted or control records still moves the position. */
  readonly records: KafkaRecords
  /** The offset after the last record fetched: where the partition's next fetch starts. */
  readonly nextOffset: number
  readonly highWatermark: bigint
}

interface Position {
  readonly topic: string
  readonly partition: number
  /** The next offset to fetch; undefined until the earliest or latest offset is known. */
  offset: number | undefined
  start: 'earliest' | 'latest' | undefined
  /** Changes on every seek, so that a response to an older position is dropped. */
  epoch: number
}

/** A batch as a fetch brought it, before it is handed over. */
interface Fetched extends FetchedBatch {
  readonly position: Position
  /** The position's offset and epoch when the fetch was sent. */
  readonly fetchOffset: number
  readonly epoch: number
}

interface InFlight {
  readonly nodeId: number
  readonly promise: Promise<Fetched[]>
}

const MIN_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 10_000

/** Fetches assigned partitions from their leaders; see the module comment. */
export class Fetcher {
  readonly #options: FetcherOptions
  readonly #positions = new Map<string, Position>()
  readonly #leaders = new Map<string, number>()
  readonly #brokers = new Map<number, BrokerAddress>()
  readonly #connections = new Map<number, Promise<BrokerConnection>>()
  readonly #inFlight = new Map<number, InFlight>()
  #metadataStale = true
  #closed = false
  #failures = 0
  #epochs = 0
  /** A failure of the fetches sent ahead, taken up by the next call of {@link next}. */
  #deferred: unknown

  constructor(options: FetcherOptions) {
    this.#options = options
  }

  /**
   * Fetches these partitions from now on, each from its offset (or the earliest or latest one);
   * partitions not listed are no longer fetched.
   */
  assign(
    partitions: Iterable<{ topic: string; partition: number; offset: bigint | 'earliest' | 'latest' }>,
  ): void {
    const next = new Map<string, Position>()
    for (const p of partitions) {
      const key = keyOf(p.topic, p.partition)
      next.set(key, this.#position(p.topic, p.partition, p.offset))
    }
    this.#positions.clear()
    for (const [key, position] of next) this.#positions.set(key, position)
  }

  /**
   * Fetches an assigned partition from `offset` on; what a fetch in flight brings for it is
   * dropped. Throws for a partition not assigned.
   */
  seek(topic: string, partition: number, offset: bigint | 'earliest' | 'latest'): void {
    const key = keyOf(topic, partition)
    if (!this.#positions.has(key))
      throw new IngestError(`${topic}/${partition} is not assigned to this fetcher`, {
        context: { topic, partition },
      })
    this.#positions.set(key, this.#position(topic, partition, offset))
  }

  /**
   * The next response's batches, waiting for one (at most about `maxWaitMs` when nothing is new).
   * Empty when the response had nothing, or when nothing is assigned (after a short wait).
   */
  async next(): Promise<FetchedBatch[]> {
    if (this.#closed) throw new IngestError('The fetcher is closed')
    if (this.#positions.size === 0) {
      await delay(Math.min(this.#options.maxWaitMs, 100))
      return []
    }
    try {
      const deferred = this.#deferred
      this.#deferred = undefined
      if (deferred !== undefined) throw deferred
      await this.#startFetches()
      if (this.#inFlight.size === 0) {
        await delay(MIN_BACKOFF_MS)
        return []
      }
      const { nodeId, batches } = await Promise.race(
        [...this.#inFlight.values()].map((f) => f.promise.then((batches) => ({ nodeId: f.nodeId, batches }))),
      )
      this.#inFlight.delete(nodeId)
      this.#failures = 0
      const delivered = this.#deliver(batches)
      // The next fetch from this leader goes out before the caller handles these; a failure
      // to send it is taken up by the next call, after these are handed over.
      await this.#startFetches().catch((error: unknown) => {
        this.#deferred = error
      })
      return delivered
    } catch (error) {
      return this.#failed(error)
    }
  }

  /**
   * Moves each partition's position past what its fetch brought and hands the batches over; a
   * batch whose partition was sought, unassigned or fetched elsewhere since is dropped.
   * Positions move only here, so a fetch dropped on a failure is simply sent again.
   */
  #deliver(batches: Fetched[]): FetchedBatch[] {
    const delivered: FetchedBatch[] = []
    for (const b of batches) {
      const position = this.#positions.get(keyOf(b.topic, b.partition))
      if (position !== b.position || position.epoch !== b.epoch || position.offset !== b.fetchOffset) continue
      position.offset = b.nextOffset
      delivered.push({
        topic: b.topic,
        partition: b.partition,
        records: b.records,
        nextOffset: b.nextOffset,
        highWatermark: b.highWatermark,
      })
    }
    return delivered
  }

  /** Closes every connection; in-flight fetches are dropped. */
  close(): void {
    this.#closed = true
    for (const connection of this.#connections.values())
      void connection.then(
        (c) => c.close(),
        () => {},
      )
    this.#connections.clear()
    this.#inFlight.clear()
  }

  #position(topic: string, partition: number, offset: bigint | 'earliest' | 'latest'): Position {
    const epoch = ++this.#epochs
    if (typeof offset === 'string') return { topic, partition, offset: undefined, start: offset, epoch }
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER))
      throw new IngestError(`Offset ${offset} of ${topic}/${partition} is out of the range Lake fetches`, {
        context: { topic, partition, offset: String(offset) },
      })
    return { topic, partition, offset: Number(offset), start: undefined, epoch }
  }

  /** A failure of a round: retried with backoff unless it is permanent or too many came in a row. */
  async #failed(error: unknown): Promise<FetchedBatch[]> {
    if (this.#closed) throw error
    this.#failures++
    if (!isRetryable(error) || this.#failures > this.#options.retries) throw error
    const waitMs = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.#failures - 1))
    this.#options.log?.('warn', `Fetching failed, retrying in ${waitMs} ms: ${(error as Error).message}`, {
      attempt: this.#failures,
      error,
    })
    this.#metadataStale = true
    this.#inFlight.clear()
    await delay(waitMs)
    return []
  }

  /** Sends a fetch to every leader that has none in flight. */
  async #startFetches(): Promise<void> {
    if (this.#metadataStale) await this.#refreshMetadata()
    await this.#resolveStarts()
    const byLeader = this.#byLeader(
      (position, leader) => position.offset !== undefined && !this.#inFlight.has(leader),
    )
    for (const [nodeId, positions] of byLeader) {
      const promise = this.#fetchFrom(nodeId, positions)
      promise.catch(() => {})
      this.#inFlight.set(nodeId, { nodeId, promise })
    }
  }

  async #fetchFrom(nodeId: number, positions: Position[]): Promise<Fetched[]> {
    const o = this.#options
    const sent = positions.map((p) => ({ position: p, offset: p.offset!, epoch: p.epoch }))
    const request = fetchRequest(
      sent.map(({ position, offset }) => ({
        topic: position.topic,
        partition: position.partition,
        fetchOffset: BigInt(offset),
        maxBytes: o.maxBytesPerPartition,
      })),
      { maxWaitMs: o.maxWaitMs, minBytes: o.minBytes, maxBytes: o.maxBytes, readCommitted: o.readCommitted },
    )
    const connection = await this.#connection(nodeId)
    const response = await connection.send(request, o.maxWaitMs).catch((error: unknown) => {
      this.#connections.delete(nodeId)
      throw error
    })
    if (response.errorCode !== KafkaErrorCodes.NONE)
      throw this.#kafkaError(response.errorCode, `broker ${nodeId}`)
    const batches: Fetched[] = []
    for (const fetched of response.partitions) {
      const request = sent.find(
        (s) => s.position.topic === fetched.topic && s.position.partition === fetched.partition,
      )
      if (!request) continue
      const { position, offset, epoch } = request
      // Sought or unassigned meanwhile: this data is not what the caller wants next.
      if (
        this.#positions.get(keyOf(position.topic, position.partition)) !== position ||
        position.epoch !== epoch
      )
        continue
      const batch = await this.#handle(fetched, position, offset)
      if (batch) batches.push({ ...batch, position, fetchOffset: offset, epoch })
    }
    return batches
  }

  async #handle(
    fetched: FetchedPartition,
    position: Position,
    offset: number,
  ): Promise<FetchedBatch | undefined> {
    const { topic, partition, errorCode } = fetched
    if (errorCode === KafkaErrorCodes.OFFSET_OUT_OF_RANGE) {
      this.#options.log?.(
        'warn',
        `Offset ${offset} of ${topic}/${partition} is out of range; starting from the ${this.#options.resetTo} offset`,
        {
          topic,
          partition,
          offset,
        },
      )
      position.offset = undefined
      position.start = this.#options.resetTo
      return undefined
    }
    if (isLeaderError(errorCode)) {
      this.#metadataStale = true
      return undefined
    }
    if (errorCode !== KafkaErrorCodes.NONE) throw this.#kafkaError(errorCode, `${topic}/${partition}`)
    if (!fetched.records || fetched.records.length === 0) return undefined
    const decoded = await decodeRecords(fetched.records, {
      topic,
      partition,
      fetchOffset: offset,
      readCommitted: this.#options.readCommitted,
      aborted: fetched.aborted,
    })
    // No whole batch: the response's size limit cut this partition's first batch short (the
    // broker sends a first batch whole only to the response's first partition with data). It is
    // fetched again, from the same offset.
    if (decoded.nextOffset === undefined || decoded.nextOffset <= offset) return undefined
    return {
      topic,
      partition,
      records: decoded.records,
      nextOffset: decoded.nextOffset,
      highWatermark: fetched.highWatermark,
    }
  }

  async #connection(nodeId: number): Promise<BrokerConnection> {
    const open = this.#connections.get(nodeId)
    if (open) {
      const connection = await open.catch(() => undefined)
      if (connection && !connection.closed) return connection
      this.#connections.delete(nodeId)
    }
    const broker = this.#brokers.get(nodeId)
    if (!broker) {
      this.#metadataStale = true
      throw new IngestError(`Kafka broker ${nodeId} is not in the cluster's metadata`, {
        retryable: true,
        context: { nodeId },
      })
    }
    const connecting = BrokerConnection.open(broker.host, broker.port, this.#options)
    this.#connections.set(nodeId, connecting)
    connecting.catch(() => this.#connections.delete(nodeId))
    return connecting
  }

  /** Asks any broker for the leaders of the assigned topics: a known one, else each bootstrap broker in turn. */
  async #refreshMetadata(): Promise<void> {
    const topics = [...new Set([...this.#positions.values()].map((p) => p.topic))]
    let metadata: Metadata | undefined
    let last: unknown
    for (const nodeId of this.#brokers.keys()) {
      try {
        metadata = await (await this.#connection(nodeId)).send(metadataRequest(topics))
        break
      } catch (error) {
        last = error
      }
    }
    for (const address of metadata ? [] : this.#options.brokers) {
      const [host, port] = splitAddress(address)
      const connection = await BrokerConnection.open(host, port, this.#options).catch((error: unknown) => {
        last = error
      })
      if (!connection) continue
      try {
        metadata = await connection.send(metadataRequest(topics))
        break
      } catch (error) {
        last = error
      } finally {
        connection.close()
      }
    }
    if (!metadata) throw last ?? new IngestError('No Kafka broker is configured', { context: {} })
    this.#brokers.clear()
    for (const broker of metadata.brokers) this.#brokers.set(broker.nodeId, broker)
    for (const [nodeId, connection] of this.#connections) {
      if (!this.#brokers.has(nodeId)) {
        this.#connections.delete(nodeId)
        void connection.then(
          (c) => c.close(),
          () => {},
        )
      }
    }
    this.#leaders.clear()
    for (const topic of metadata.topics) {
      if (topic.errorCode !== KafkaErrorCodes.NONE && !isTransientError(topic.errorCode))
        throw this.#kafkaError(topic.errorCode, `topic ${topic.name}`)
      for (const p of topic.partitions) this.#leaders.set(keyOf(topic.name, p.partition), p.leader)
    }
    this.#metadataStale = false
  }

  /** Looks up the earliest or latest offset of positions that start there. */
  async #resolveStarts(): Promise<void> {
    for (const [nodeId, positions] of this.#byLeader((position) => position.offset === undefined)) {
      const connection = await this.#connection(nodeId)
      const listed = await connection.send(
        listOffsetsRequest(
          positions.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            timestamp: p.start === 'latest' ? LATEST : EARLIEST,
          })),
          this.#options.readCommitted,
        ),
      )
      for (const l of listed) {
        const position = positions.find((p) => p.topic === l.topic && p.partition === l.partition)
        if (!position) continue
        if (isLeaderError(l.errorCode)) {
          this.#metadataStale = true
          continue
        }
        if (l.errorCode !== KafkaErrorCodes.NONE)
          throw this.#kafkaError(l.errorCode, `${l.topic}/${l.partition}`)
        position.offset = Number(l.offset)
        position.start = undefined
      }
    }
  }

  /**
   * The positions `wanted` picks, by their partition's leader; a partition without a known
   * leader is left out and asks for metadata again.
   */
  #byLeader(wanted: (position: Position, leader: number) => boolean): Map<number, Position[]> {
    const byLeader = new Map<number, Position[]>()
    for (const [key, position] of this.#positions) {
      const leader = this.#leaders.get(key)
      if (leader === undefined || leader < 0) {
        this.#metadataStale = true
        continue
      }
      if (!wanted(position, leader)) continue
      const list = byLeader.get(leader)
      if (list) list.push(position)
      else byLeader.set(leader, [position])
    }
    return byLeader
  }

  #kafkaError(code: number, what: string): IngestError {
    const name = Object.entries(KafkaErrorCodes).find(([, c]) => c === code)?.[0] ?? `error code ${code}`
    return new IngestError(`Kafka answered ${name} for ${what}`, {
      retryable: isTransientError(code),
      context: { kafkaErrorCode: code, what },
    })
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':')
  return [address.slice(0, colon), Number(address.slice(colon + 1))]
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
