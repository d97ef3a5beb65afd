import { setImmediate as immediate } from 'node:timers/promises'
import type { Schema } from '@lake/catalog'
import {
  AbortedError,
  IngestError,
  isRetryable,
  type LakeHooks,
  resolveHooks,
  UnsupportedError,
  ValidationError,
  withRetry,
} from '@lake/errors'
import {
  type Cluster,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  type KafkaConfig,
  PartitionAssigners,
  type Producer,
} from 'kafkajs'
import { CommitClock } from './commit-clock.js'
import { deadLetterMessage, type FailureStage, type RefusedRecord } from './dead-letter.js'
import { compileDecoder, type Decoder, type RecordMeta, type Row } from './decode.js'
import { evolveSchema } from './evolve-schema.js'
import { JsonRowReader } from './json-row.js'
import { type FetchedBatch, Fetcher } from './kafka/fetcher.js'
import { mapLimit } from './limit.js'
import {
  DEFAULT_FETCH_BYTES_PER_PARTITION,
  defaultRevocationBudgetMs,
  type IngestWorkerOptions,
  lakeFetchConfig,
  parseWorkerOptions,
  type TransformResult,
} from './options.js'
import { evolutionOf } from './schema-evolution.js'
import { partitionKey, type SinkCommit, type StagedRecords, TableSink } from './sink.js'

/** A running ingest worker. */
export interface IngestWorker {
  /**
   * Joins the consumer group and ingests until stopped. Resolves when {@link IngestWorker.stop}
   * has flushed; rejects when the worker fails (a non-retryable commit failure, or a refused
   * record in `'fail'` mode).
   */
  run(): Promise<void>
  /**
   * Stops fetching, commits what is buffered (within `deadlineMs`, default 30 s; what is left
   * then is dropped and replayed by the next owner), tells Kafka the committed offsets for lag
   * monitoring and leaves the group, holding its partitions until then. Called while
   * {@link IngestWorker.run} is still starting, it waits for that start, which goes no further
   * (no join, or no fetching), so that no consumer stays in the group.
   */
  stop(options?: { deadlineMs?: number }): Promise<void>
  /** Commits what is buffered now, as the triggers would. */
  flush(): Promise<void>
}

/**
 * Records read between turns of the event loop. A batch is read in slices, so that a commit
 * running meanwhile waits for at most a slice at each of its requests, not for the whole batch.
 */
const READ_SLICE = 512

interface PartitionState {
  topic: string
  partition: number
  /** Whether every table's position for it was read since it was assigned. */
  loaded: boolean
  /** The offset last sought to, so a real gap (compaction, transaction markers) is accepted once sought. */
  soughtTo?: bigint
  /**
   * The lowest offset ingested since the partition was assigned while some table held no
   * offset for it: where to read again from when rows buffered for such a table are dropped,
   * since the tables then name no position to go back to.
   */
  origin?: bigint
  /** The log-end offset at the last batch, for lag. */
  highWatermark?: bigint
}

interface Target {
  sink: TableSink
}

const MiB = 1024 * 1024
/** The worker heartbeats at least this often, so that it sees a rebalance within it. */
const KEEP_ALIVE_MS = 1_000
/** Marks a coordinator whose joins {@link Worker.#watchJoins} records. */
const WATCHED = Symbol('lake.ingest.watched')
/** How long a stop waits for Kafka to take the lag offsets of its last commit. */
const KAFKA_COMMIT_AT_STOP_MS = 5_000
/** How long a worker waits to read a lost partition's offsets again after reading them failed. */
const RESEEK_RETRY_MS = 5_000

/** A fetched record, as kafkajs's consumer or Lake's fetch path gives it. */
interface FetchedRecord {
  readonly offset: string | number
  readonly timestamp: string | number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers?: IHeaders | Readonly<Record<string, Buffer | null | (Buffer | null)[]>> | undefined
}

/**
 * A partition's fetched records as the worker reads them, by index: Lake's fetch path gives
 * them so (`KafkaRecords`, no object per record), kafkajs's messages through {@link MessageList}.
 */
interface FetchedRecordList {
  readonly length: number
  /** Record `i`'s offset; beyond 2^53 it is no safe integer. */
  offset(i: number): number
  /** The bytes of record `i`'s key and value together. */
  size(i: number): number
  /** The bytes record `i`'s value is a range of. */
  bytes(i: number): Buffer
  /** Where record `i`'s value begins in {@link FetchedRecordList.bytes}, or -1 for a null value. */
  valueStart(i: number): number
  valueEnd(i: number): number
  /** Record `i` whole, for the general path. */
  at(i: number): FetchedRecord
}

/** A partition's fetched records, from either fetch path. */
interface FetchedRecords {
  readonly topic: string
  readonly partition: number
  readonly highWatermark: bigint
  readonly records: FetchedRecordList
}

const EMPTY = Buffer.alloc(0)

/** kafkajs's messages of a batch, read as a {@link FetchedRecordList}. */
class MessageList implements FetchedRecordList {
  readonly #messages: readonly FetchedRecord[]

  constructor(messages: readonly FetchedRecord[]) {
    this.#messages = messages
  }

  get length(): number {
    return this.#messages.length
  }

  offset(i: number): number {
    return Number(this.#messages[i]!.offset)
  }

  size(i: number): number {
    const message = this.#messages[i]!
    return (message.value?.length ?? 0) + (message.key?.length ?? 0)
  }

  bytes(i: number): Buffer {
    return this.#messages[i]!.value ?? EMPTY
  }

  valueStart(i: number): number {
    return this.#messages[i]!.value ? 0 : -1
  }

  valueEnd(i: number): number {
    return this.#messages[i]!.value?.length ?? -1
  }

  at(i: number): FetchedRecord {
    return this.#messages[i]!
  }
}

/** The group coordinator as kafkajs's consumer found it: the one request the worker sends it itself. */
interface Coordinator {
  heartbeat(request: { groupId: string; groupGenerationId: number; memberId: string }): Promise<unknown>
  joinGroup(...args: unknown[]): Promise<{ generationId: number; memberId: string }>
}

/** A decoded record: its rows (one until a transform splits it), metadata, encoded size and value. */
interface Decoded {
  rows: Row[]
  meta: RecordMeta
  size: number
  value: Buffer | null
}

/**
 * Creates a worker that ingests Kafka topics into Iceberg tables exactly once.
 *
 * Each commit writes the data files and, in the same snapshot's summary, the next offset of
 * every topic-partition the table holds data of (`lake.kafka.offsets.<groupId>`, see
 * {@link offsetsSummaryKey}). On every assignment the worker seeks to the offsets the tables hold,
 * and a commit checks, against the metadata it builds on, that each partition's stored offset
 * is still the one its data began at, so a worker that lost a partition (a rebalance, a pause,
 * a zombie) drops its data instead of committing a duplicate. Kafka's committed offsets are
 * written after each commit for lag monitoring only.
 *
 * @example
 * ```ts
 * const worker = createIngestWorker({
 *   kafka: { brokers: ['127.0.0.1:9092'] },
 *   groupId: 'events-to-lake',
 *   topics: ['events'],
 *   catalog,
 *   table: 'analytics.events',
 *   deadLetter: { topic: 'events.dead' },
 *   handleSignals: true,
 * })
 * await worker.run()
 * ```
 */
export function createIngestWorker(options: IngestWorkerOptions): IngestWorker {
  const opts = parseWorkerOptions(options)
  return new Worker(opts)
}

class Worker implements IngestWorker {
  readonly #opts: IngestWorkerOptions
  readonly #hooks: LakeHooks
  readonly #kafka: Kafka
  readonly #decode: Decoder
  readonly #mode: 'dead-letter' | 'skip' | 'fail'
  readonly #maxBufferedBytes: number
  readonly #commitBytes: number
  readonly #commitRows: number
  readonly #maxRecordBytes: number
  readonly #revocationBudgetMs: number
  readonly #parts = new Map<string, PartitionState>()
  /**
   * Whether JSON values are read straight into the table's columns (see {@link JsonRowReader}):
   * decode `'json'` into one table, with no transform or metadata columns, which need rows.
   */
  readonly #readsJson: boolean
  readonly #readers = new WeakMap<Schema, JsonRowReader>()
  /** Route name (or the table's name, without routing) to its target, once loaded. */
  #targets = new Map<string, Target>()
  #consumer: Consumer | undefined
  /** Lake's own fetch path, where it is used (see `fetchPath`); kafkajs's consumer then only keeps the group. */
  #fetcher: Fetcher | undefined
  /** Where the fetch path's loop is; it ends once the worker stops or fails. */
  #fetchLoop: Promise<void> | undefined
  /** With Lake's fetch path: the group's coordinator and this member's generation, for {@link Worker.#keepAlive}. */
  #coordinator: Coordinator | undefined
  #generation: { generationId: number; memberId: string } | undefined
  #producer: Producer | undefined
  /** Asks for a commit `commit.intervalMs` after the last one began. */
  readonly #clock: CommitClock
  /** Serialises commits and position loads. */
  #lane: Promise<unknown> = Promise.resolve()
  #flushing: Promise<void> | undefined
  /** Whether the queued commit ({@link Worker.#flushing}) is one only `commit.rows` or `commit.bytes` asked for. */
  #flushingIfDue = false
  /** Told when the running flush ends (true: it committed), so backpressure resumes on the first that frees memory. */
  readonly #commitWaiters: ((ok: boolean) => void)[] = []
  #stopping: Promise<void> | undefined
  /** run()'s start: loading the tables, joining the group, starting to fetch. */
  #starting: Promise<void> | undefined
  /** Whether the consumer runs: it joined the group and fetches (until the stop pauses it). */
  #fetching = false
  /** The batch being processed, if any. */
  #inFlight: Promise<void> | undefined
  /** Kafka's commit of the offsets of the last commit (never rejects). */
  #kafkaCommit: Promise<void> = Promise.resolve()
  #done: { resolve: () => void; reject: (error: unknown) => void } | undefined
  #failed: unknown
  #removeSignals: (() => void) | undefined
  /** The revocation under way: from the moment a rebalance is seen until the worker may rejoin. */
  #revocation: Promise<void> | undefined
  /** Resolved when a revocation ends, then replaced: a batch waiting on the commit lane stops waiting. */
  #revocationEnd = settled()
  /** The latest batch's `heartbeat`: kafkajs's runner's, valid across the batches of one run. */
  #heartbeat: (() => Promise<void>) | undefined
  #beat: NodeJS.Timeout | undefined
  /** Group joins seen, so that a heartbeat answered after a rejoin is not taken for a new rebalance. */
  #joins = 0

  constructor(opts: IngestWorkerOptions) {
    this.#opts = opts
    this.#hooks = resolveHooks(opts.hooks)
    this.#kafka =
      opts.kafka instanceof Kafka ? opts.kafka : new Kafka({ clientId: 'lake-ingest', ...opts.kafka })
    this.#decode = compileDecoder(opts.decode)
    this.#readsJson =
      (opts.decode ?? 'json') === 'json' && !opts.transform && !opts.route && !opts.metadataColumns
    this.#mode = opts.deadLetter?.mode ?? (opts.deadLetter?.topic ? 'dead-letter' : 'fail')
    this.#clock = new CommitClock(opts.commit?.intervalMs ?? 10_000, () => {
      if (this.#hasPending()) void this.flush().catch(() => {})
    })
    this.#maxBufferedBytes = opts.maxBufferedBytes ?? 64 * MiB
    // Half: the other half is room to read on while the commit runs, rather than pause.
    this.#commitBytes = opts.commit?.bytes ?? Math.floor(this.#maxBufferedBytes / 2)
    this.#commitRows = opts.commit?.rows ?? Number.POSITIVE_INFINITY
    this.#maxRecordBytes = opts.maxRecordBytes ?? 8 * MiB
    this.#revocationBudgetMs = opts.revocation?.budgetMs ?? defaultRevocationBudgetMs(opts.consumer)
  }

  async run(): Promise<void> {
    if (this.#starting)
      throw new IngestError('The worker is already running', { context: { groupId: this.#opts.groupId } })
    const done = new Promise<void>((resolve, reject) => {
      this.#done = { resolve, reject }
    })
    this.#starting = this.#start()
    await this.#starting
    return done
  }

  /**
   * Loads the tables and starts the consumer, unless a stop comes first: a stop waits for this,
   * and this checks for one before it joins the group and before it starts fetching, so that a
   * worker stopped while it starts leaves no consumer in the group.
   */
  async #start(): Promise<void> {
    await this.#loadTargets()
    if (this.#stopping) return
    const c = this.#opts.consumer ?? {}
    const lake = this.#opts.fetchPath !== 'kafkajs' ? lakeFetchConfig(this.#opts.kafka) : undefined
    if (lake) this.#fetcher = this.#newFetcher(lake)
    const consumer = this.#kafka.consumer({
      groupId: this.#opts.groupId,
      ...(c.sessionTimeout ? { sessionTimeout: c.sessionTimeout } : {}),
      ...(c.rebalanceTimeout ? { rebalanceTimeout: c.rebalanceTimeout } : {}),
      // With Lake's fetch path kafkajs fetches nothing (every topic is paused as soon as it joins):
      // its loop then waits maxWaitTimeInMs and heartbeats, at most every heartbeatInterval, and
      // only a heartbeat of its own tells it to rejoin (the worker's go to the coordinator
      // directly, see #lakeHeartbeat). Both are kept short, so that it rejoins within a second
      // of a rebalance, as it does when it fetches.
      ...(lake
        ? {
            heartbeatInterval: Math.min(KEEP_ALIVE_MS, c.heartbeatInterval ?? KEEP_ALIVE_MS),
            maxWaitTimeInMs: 250,
            maxBytesPerPartition: 1_024,
          }
        : {
            ...(c.heartbeatInterval ? { heartbeatInterval: c.heartbeatInterval } : {}),
            maxBytesPerPartition: c.maxBytesPerPartition ?? DEFAULT_FETCH_BYTES_PER_PARTITION,
            ...(c.maxBytes ? { maxBytes: c.maxBytes } : {}),
            ...(c.maxWaitTimeInMs ? { maxWaitTimeInMs: c.maxWaitTimeInMs } : {}),
          }),
      // kafkajs's own assigner; the worker only takes the consumer's cluster from it, see #holdJoins.
      partitionAssigners: [
        (config) => {
          this.#holdJoins(config.cluster)
          return PartitionAssigners.roundRobin(config)
        },
      ],
    })
    this.#consumer = consumer
    if (this.#mode === 'dead-letter') {
      this.#producer = this.#kafka.producer({ allowAutoTopicCreation: true, idempotent: false })
      await this.#producer.connect()
    }
    consumer.on(consumer.events.REBALANCING, () => void this.#revoke('the consumer is rejoining'))
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      // Emitted before kafkajs's first fetch of the new assignment: paused, it fetches none.
      if (this.#fetcher) consumer.pause(this.#opts.topics.map((topic) => ({ topic })))
      this.#assigned(event.payload.memberAssignment)
    })
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload
      this.#log(
        restart ? 'warn' : 'error',
        'ingest.consumer.crash',
        `The Kafka consumer crashed: ${error.message}`,
        {
          error,
          restart,
        },
      )
      if (!restart) this.#fail(error)
    })
    await consumer.connect()
    await consumer.subscribe({
      topics: [...this.#opts.topics],
      fromBeginning: this.#opts.startFrom !== 'latest',
    })
    if (this.#stopping) return
    if (this.#opts.handleSignals) this.#installSignals()
    this.#clock.start()
    this.#beat = setInterval(() => this.#keepAlive(), Math.min(KEEP_ALIVE_MS, c.heartbeatInterval ?? 3_000))
    this.#beat.unref()
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // With Lake's fetch path a batch kafkajs fetched anyway is not the worker's to take.
      eachBatch: (payload) => (this.#fetcher ? Promise.resolve() : this.#eachBatch(payload)),
    })
    this.#fetching = true
    if (this.#fetcher) this.#fetchLoop = this.#fetchWithLake(this.#fetcher)
    this.#log(
      'info',
      'ingest.start',
      `Ingesting ${this.#opts.topics.join(', ')} as group ${this.#opts.groupId}, fetching with ${this.#fetcher ? 'Lake' : 'kafkajs'}`,
      { fetchPath: this.#fetcher ? 'lake' : 'kafkajs' },
    )
  }

  async stop(options: { deadlineMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.deadlineMs ?? 30_000)
    return this.#stopping
  }

  async #stop(deadlineMs: number): Promise<void> {
    this.#clock.stop()
    this.#removeSignals?.()
    // A stop while run() starts waits for it: run() then starts no more than it has.
    await this.#starting?.catch(() => {})
    const consumer = this.#consumer
    try {
      // Fetching stops, but the worker stays in the group, holding its partitions, until its
      // last commit has landed and Kafka has been told the offsets: only then may others take them.
      if (consumer && this.#fetching) {
        try {
          consumer.pause(this.#opts.topics.map((topic) => ({ topic })))
        } catch {
          // The consumer crashed and no longer fetches: nothing to pause.
        }
        await this.#inFlight?.catch(() => {})
      }
      if (this.#failed === undefined) {
        const outcome = await within(
          this.flush().then(() => 'flushed' as const),
          deadlineMs,
          'timeout' as const,
        ).catch((error) => {
          this.#log('error', 'ingest.stop', `The last commit failed: ${describe(error)}`, { error })
          return 'failed' as const
        })
        if (outcome === 'flushed') {
          // The last commit told Kafka its offsets. Bounded: during a rebalance kafkajs rejoins
          // inside that request, which need not land.
          await within(this.#kafkaCommit, Math.min(KAFKA_COMMIT_AT_STOP_MS, deadlineMs), undefined)
        } else {
          this.#log('warn', 'ingest.stop', 'Stopped without committing everything; the next owner replays it')
        }
      }
    } finally {
      clearInterval(this.#beat)
      this.#fetcher?.close()
      await this.#fetchLoop
      await consumer?.stop().catch(() => {})
      await consumer?.disconnect().catch(() => {})
      await this.#producer?.disconnect().catch(() => {})
      this.#log('info', 'ingest.stop', `Stopped group member of ${this.#opts.groupId}`)
      if (this.#failed === undefined) this.#done?.resolve()
      else this.#done?.reject(this.#failed)
    }
  }

  flush(): Promise<void> {
    return this.#queueCommit(false)
  }

  /**
   * Queues a commit of every table behind the one running, or joins the one already queued:
   * callers arriving while a commit waits to start share it, since one running may have missed
   * their rows. `ifStillDue` is for a commit asked for by `commit.rows` or `commit.bytes`, which
   * count the rows of a commit in flight too: when it begins, it is skipped unless what is
   * buffered still reaches one of them (the commit that ran meanwhile took the rows that asked
   * for it, and the next batch asks again when they are reached), so that it does not commit
   * just what arrived while that one ran. Anyone else joining it, or waiting for memory, makes
   * it unconditional.
   */
  #queueCommit(ifStillDue: boolean): Promise<void> {
    if (this.#flushing) {
      if (!ifStillDue) this.#flushingIfDue = false
      return this.#flushing
    }
    this.#flushingIfDue = ifStillDue
    const flushing = this.#inLane(async () => {
      this.#flushing = undefined
      if (this.#flushingIfDue && !this.#sizeDue() && this.#commitWaiters.length === 0) return
      let ok = false
      try {
        await this.#commitAll()
        ok = true
      } finally {
        for (const resolve of this.#commitWaiters.splice(0)) resolve(ok)
      }
    })
    this.#flushing = flushing
    return flushing
  }

  #inLane<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lane.then(fn, fn)
    this.#lane = run.catch(() => {})
    return run
  }

  #fail(error: unknown): void {
    if (this.#failed !== undefined) return
    this.#failed = error
    this.#log('error', 'ingest.failed', `The worker stops: ${describe(error)}`, { error })
    void this.stop()
  }

  #installSignals(): void {
    const onSignal = (signal: string) => {
      this.#log('info', 'ingest.signal', `${signal}: stopping`)
      void this.stop()
    }
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
    this.#removeSignals = () => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    }
  }

  async #loadTargets(): Promise<void> {
    const entries: [string, string][] = this.#opts.route
      ? Object.entries(this.#opts.route.tables)
      : [[this.#opts.table!, this.#opts.table!]]
    const byTable = new Map<string, TableSink>()
    for (const [route, name] of entries) {
      let sink = byTable.get(name)
      if (!sink) {
        sink = new TableSink(await this.#opts.catalog.loadTable(name), this.#opts.groupId)
        byTable.set(name, sink)
      }
      this.#targets.set(route, { sink })
    }
  }

  #sinks(): TableSink[] {
    return [...new Set([...this.#targets.values()].map((t) => t.sink))]
  }

  #hasPending(): boolean {
    return this.#sinks().some((s) => s.hasPending)
  }

  #bufferedBytes(): number {
    return this.#sinks().reduce((n, s) => n + s.bufferedBytes, 0)
  }

  #bufferedRows(): number {
    return this.#sinks().reduce((n, s) => n + s.bufferedRows, 0)
  }

  /** A new assignment: partitions gone are forgotten (the next owner replays them), new ones load lazily. */
  #assigned(assignment: Record<string, number[]>): void {
    this.#joins++
    const now = new Set<string>()
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const key = partitionKey(topic, partition)
        now.add(key)
        if (!this.#parts.has(key)) this.#parts.set(key, { topic, partition, loaded: false })
      }
    }
    for (const [key, part] of this.#parts) {
      if (now.has(key)) continue
      this.#parts.delete(key)
      for (const sink of this.#sinks()) sink.forget(part.topic, part.partition)
    }
    this.#log('info', 'ingest.assigned', `Assigned ${now.size} partitions`, { assignment })
    if (this.#fetcher) void this.#fetchAssigned(this.#joins)
  }

  /**
   * With Lake's fetch path: fetches the partitions of join number `joins` from the tables'
   * offsets, once they are read (or from `startFrom` where a table holds none). Reading them is
   * retried, and failing that tried again every {@link RESEEK_RETRY_MS} until the group's next
   * join; a revocation under way leaves it to that join.
   */
  async #fetchAssigned(joins: number): Promise<void> {
    try {
      await this.#loadPositions()
    } catch (error) {
      if (this.#stopping || this.#failed !== undefined || joins !== this.#joins) return
      this.#log(
        'warn',
        'ingest.load-offsets.failed',
        `Could not read the tables' offsets for the assigned partitions: ${describe(error)}; trying again in ${RESEEK_RETRY_MS} ms`,
        { error },
      )
      setTimeout(() => void this.#fetchAssigned(joins), RESEEK_RETRY_MS).unref()
      return
    }
    if (joins !== this.#joins || this.#revocation || this.#stopping) return
    const start = this.#opts.startFrom === 'latest' ? 'latest' : 'earliest'
    this.#fetcher!.assign(
      [...this.#parts.values()].map((part) => {
        const position = this.#position(part.topic, part.partition)
        // Where the first record is past it (a transaction marker, a compacted record), it is taken.
        part.soughtTo = position
        return { topic: part.topic, partition: part.partition, offset: position ?? start }
      }),
    )
  }

  /** Reads every table's offsets for the partitions not loaded yet (one refresh per table). */
  async #loadPositions(): Promise<void> {
    await this.#inLane(async () => {
      const pending = [...this.#parts.values()].filter((p) => !p.loaded)
      if (pending.length === 0) return
      await withRetry(() => Promise.all(this.#sinks().map((sink) => sink.reset(pending))), {
        retries: this.#opts.commitRetries ?? 6,
        hooks: this.#hooks,
        operation: 'ingest.load-offsets',
      })
      for (const part of pending) {
        part.loaded = true
        part.soughtTo = undefined
      }
    })
  }

  /**
   * Rewinds lost partitions that are still assigned to the offsets the tables now hold (or, when
   * a table holds none, to the first record taken since the assignment), at once: their records
   * may all have been fetched already, so no later batch would prompt it. Reading the offsets is
   * retried as on assignment, and, failing that, tried again every {@link RESEEK_RETRY_MS}
   * for as long as the partitions stay assigned and unread: given up, they would stall.
   */
  async #reseek(lost: readonly { topic: string; partition: number }[]): Promise<void> {
    try {
      await this.#reseekOnce(lost)
    } catch (error) {
      if (this.#stopping || this.#failed !== undefined) return
      const names = lost.map((r) => `${r.topic}/${r.partition}`).join(', ')
      this.#log(
        'warn',
        'ingest.reseek.failed',
        `Could not read the tables' offsets for ${names} again: ${describe(error)}; trying again in ${RESEEK_RETRY_MS} ms`,
        { error },
      )
      setTimeout(() => void this.#reseek(lost), RESEEK_RETRY_MS).unref()
    }
  }

  async #reseekOnce(lost: readonly { topic: string; partition: number }[]): Promise<void> {
    await this.#inLane(async () => {
      const parts = lost
        .map((r) => this.#parts.get(partitionKey(r.topic, r.partition)))
        .filter((p): p is PartitionState => p !== undefined && !p.loaded)
      if (parts.length === 0) return
      await withRetry(() => Promise.all(this.#sinks().map((sink) => sink.reset(parts))), {
        retries: this.#opts.commitRetries ?? 6,
        hooks: this.#hooks,
        operation: 'ingest.load-offsets',
      })
      for (const part of parts) {
        part.loaded = true
        // A table without an offset for the partition holds none of its records: read again
        // from the first record this worker took for it.
        const position = this.#position(part.topic, part.partition) ?? part.origin
        if (position === undefined) continue
        part.soughtTo = position
        try {
          this.#seek(part.topic, part.partition, position)
        } catch (error) {
          // Revoked meanwhile: its next owner starts from the table.
          part.loaded = false
          this.#log(
            'debug',
            'ingest.seek',
            `Could not seek ${part.topic}/${part.partition}: ${describe(error)}`,
          )
        }
      }
    })
  }

  /** Where consumption of a partition must continue: the lowest position of any table, undefined if one has none. */
  #position(topic: string, partition: number): bigint | undefined {
    let min: bigint | undefined
    for (const sink of this.#sinks()) {
      const next = sink.next(topic, partition)
      if (next === undefined) return undefined
      if (min === undefined || next < min) min = next
    }
    return min
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    // #keepAlive beats with it, also while a batch waits for a commit and while a rejoin is held.
    this.#heartbeat = payload.heartbeat
    const { batch } = payload
    if (batch.isEmpty() || payload.isStale()) return
    await this.#track(
      this.#processBatch(
        {
          topic: batch.topic,
          partition: batch.partition,
          highWatermark: BigInt(batch.highWatermark),
          records: new MessageList(batch.messages),
        },
        () => payload.resolveOffset(batch.lastOffset()),
      ),
    )
  }

  /** Keeps the batch being processed in {@link Worker.#inFlight} until it ends, for a stop to wait on. */
  async #track(batch: Promise<void>): Promise<void> {
    this.#inFlight = batch
    try {
      await batch
    } finally {
      if (this.#inFlight === batch) this.#inFlight = undefined
    }
  }

  /** Lake's fetch path, configured as kafkajs's consumer would be (see `fetchPath`). */
  #newFetcher(config: KafkaConfig & { brokers: string[] }): Fetcher {
    const c = this.#opts.consumer ?? {}
    return new Fetcher({
      brokers: config.brokers,
      clientId: config.clientId ?? 'lake-ingest',
      ssl: config.ssl,
      // kafkajs's defaults.
      connectTimeoutMs: config.connectionTimeout ?? 1_000,
      requestTimeoutMs: config.requestTimeout ?? 30_000,
      readCommitted: true,
      maxWaitMs: c.maxWaitTimeInMs ?? 5_000,
      minBytes: 1,
      maxBytes: c.maxBytes ?? 10 * MiB,
      maxBytesPerPartition: c.maxBytesPerPartition ?? DEFAULT_FETCH_BYTES_PER_PARTITION,
      resetTo: this.#opts.startFrom === 'latest' ? 'latest' : 'earliest',
      // A broker or network failure is waited out, as kafkajs's consumer restarts: the worker
      // keeps its partitions and catches up.
      retries: Number.POSITIVE_INFINITY,
      log: (level, message, fields) => this.#log(level, 'ingest.fetch', message, fields),
    })
  }

  /** Fetches with Lake's fetch path and processes each batch in turn, until the worker stops or fails. */
  async #fetchWithLake(fetcher: Fetcher): Promise<void> {
    while (!this.#stopping && this.#failed === undefined) {
      let batches: FetchedBatch[]
      try {
        batches = await fetcher.next()
      } catch (error) {
        if (this.#stopping || this.#failed !== undefined) return
        this.#fail(error)
        return
      }
      for (const batch of batches) {
        if (this.#stopping || this.#failed !== undefined) return
        if (batch.records.length > 0) await this.#track(this.#processBatch(batch))
      }
    }
  }

  /**
   * Ingests a partition's fetched records (`resolved` is called once they are buffered), after
   * loading the tables' offsets for a partition not loaded yet and seeking to them when the
   * records do not start there.
   */
  async #processBatch(batch: FetchedRecords, resolved?: () => void): Promise<void> {
    // During a revocation every partition is being given up: buffering more would only be dropped.
    if (this.#stopping || this.#revocation) return
    const key = partitionKey(batch.topic, batch.partition)
    let part = this.#parts.get(key)
    if (!part) {
      // A batch can arrive before the GROUP_JOIN event is handled; the partition is ours.
      part = { topic: batch.topic, partition: batch.partition, loaded: false }
      this.#parts.set(key, part)
    }
    part.highWatermark = batch.highWatermark
    if (!part.loaded || this.#sinks().some((s) => !s.knows(batch.topic, batch.partition))) {
      part.loaded = false
      // Loads wait in the commit lane, which an abandoned commit may hold past the revocation.
      if (!(await this.#unlessRevoked(this.#loadPositions())) || this.#revocation) return
    }
    const position = this.#position(batch.topic, batch.partition)
    const first = BigInt(batch.records.offset(0))
    if (position !== undefined && first !== position && part.soughtTo !== position) {
      // Kafka's own offsets are only for monitoring: continue where the tables say.
      part.soughtTo = position
      this.#seek(batch.topic, batch.partition, position)
      this.#log('debug', 'ingest.seek', `Seeking ${batch.topic}/${batch.partition} to ${position}`)
      return
    }
    if (position === undefined && (part.origin === undefined || first < part.origin)) part.origin = first
    if (!(await this.#ingest(batch))) {
      part.loaded = false
      return
    }
    resolved?.()
    this.#gauges()
    const bytes = this.#bufferedBytes()
    if (bytes >= this.#maxBufferedBytes) {
      await this.#unlessRevoked(this.#backpressure())
    } else if (this.#sizeDue()) {
      void this.#queueCommit(true).catch(() => {})
    }
  }

  /** Fetches a partition from `offset` on, with whichever fetch path the worker uses; throws if it is not assigned. */
  #seek(topic: string, partition: number, offset: bigint): void {
    if (this.#fetcher) this.#fetcher.seek(topic, partition, offset)
    else this.#consumer!.seek({ topic, partition, offset: String(offset) })
  }

  /** Whether what is buffered reaches `commit.bytes` or `commit.rows`. */
  #sizeDue(): boolean {
    return this.#bufferedBytes() >= this.#commitBytes || this.#bufferedRows() >= this.#commitRows
  }

  /**
   * Pauses fetching until a commit frees buffered memory (the batch's heartbeat keeps the
   * session). Lake's fetch path fetches only while its loop waits for no batch, so it has at
   * most one fetch ahead meanwhile; kafkajs's consumer is paused.
   */
  async #backpressure(): Promise<void> {
    const topics = this.#opts.topics.map((topic) => ({ topic }))
    if (!this.#fetcher) this.#consumer!.pause(topics)
    this.#hooks.counter('lake.ingest.backpressure.pauses', 1)
    try {
      while (
        this.#bufferedBytes() >= this.#maxBufferedBytes &&
        this.#failed === undefined &&
        !this.#stopping &&
        !this.#revocation
      ) {
        // Fetching resumes as soon as a commit has freed enough, not once every queued one is done.
        const ended = new Promise<boolean>((resolve) => this.#commitWaiters.push(resolve))
        void this.flush().catch(() => {})
        // A commit that could not land leaves the memory held: wait and try again rather than read more.
        if (!(await ended)) await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
    } finally {
      if (!this.#fetcher) this.#consumer!.resume(topics)
    }
  }

  /**
   * Waits for `work`, or until a revocation ends, whichever is first; false when the revocation
   * ended first. A batch runs to its end before kafkajs rejoins the group, so a batch waiting on
   * the commit lane must stop waiting once the worker has given its partitions up.
   */
  async #unlessRevoked(work: Promise<unknown>): Promise<boolean> {
    work.catch(() => {})
    return Promise.race([work.then(() => true), this.#revocationEnd.promise.then(() => false)])
  }

  /**
   * Makes each group join of the consumer wait for the revocation under way, or one it starts.
   * kafkajs has no hook before it revokes partitions: once it sees a rebalance it lets the running
   * batch finish and rejoins at once, and the first step of its join is to find the group
   * coordinator on the consumer's own cluster, which each partition assigner is given. Holding
   * that step holds the JoinGroup, and with it the new assignment of every member, so a
   * partition's next owner reads the table's offsets only after this worker's commit.
   */
  #holdJoins(cluster: Cluster): void {
    const find = cluster.findGroupCoordinator.bind(cluster)
    cluster.findGroupCoordinator = async (group) => {
      await this.#revoke('the consumer is joining the group')
      const coordinator = await find(group)
      if (this.#fetcher) this.#watchJoins(coordinator as unknown as Coordinator)
      return coordinator
    }
  }

  /**
   * With Lake's fetch path no batch brings kafkajs's heartbeat: the worker heartbeats itself, to
   * the coordinator kafkajs found, with the member id and generation its last join returned.
   */
  #watchJoins(coordinator: Coordinator): void {
    this.#coordinator = coordinator
    if ((coordinator as { [WATCHED]?: boolean })[WATCHED]) return
    ;(coordinator as { [WATCHED]?: boolean })[WATCHED] = true
    const join = coordinator.joinGroup.bind(coordinator)
    coordinator.joinGroup = async (...args: unknown[]) => {
      const joined = await join(...args)
      if (this.#coordinator === coordinator)
        this.#generation = { generationId: joined.generationId, memberId: joined.memberId }
      return joined
    }
  }

  /**
   * Heartbeats on the worker's own clock (kafkajs beats only between fetches and after batches),
   * so that a rebalance is seen within a second, and the session stays alive while a batch waits
   * on a commit and while the worker holds its rejoin: the broker removes a member that neither
   * heartbeats nor rejoins once its session times out, rebalance or not.
   */
  #keepAlive(): void {
    const heartbeat = this.#fetcher ? this.#lakeHeartbeat() : this.#heartbeat
    if (!heartbeat) return
    const joins = this.#joins
    heartbeat().catch((error: unknown) => {
      const type = (error as { type?: unknown }).type
      if (type === 'REBALANCE_IN_PROGRESS' && joins === this.#joins) void this.#revoke('a heartbeat')
    })
  }

  /** A heartbeat of the last generation joined, with Lake's fetch path; undefined before the first join. */
  #lakeHeartbeat(): (() => Promise<unknown>) | undefined {
    const coordinator = this.#coordinator
    const generation = this.#generation
    if (!coordinator || !generation) return undefined
    return () =>
      coordinator.heartbeat({
        groupId: this.#opts.groupId,
        groupGenerationId: generation.generationId,
        memberId: generation.memberId,
      })
  }

  /**
   * Gives every partition up, as kafkajs's eager rebalance revokes them all (which ones move is
   * known only after the rejoin): commits what is held within the revocation budget, then
   * forgets every partition, so that the next assignment reads each table's offsets again. A
   * commit not done within the budget is abandoned, not cancelled: it keeps its place in the
   * commit lane, so the worker reads offsets only after it settles, and if it lands after another
   * owner took a partition over, the compare-and-set drops one of the two copies.
   */
  #revoke(reason: string): Promise<void> {
    if (this.#revocation) return this.#revocation
    if (this.#parts.size === 0 && !this.#hasPending()) return Promise.resolve()
    const end = this.#revocationEnd
    const revocation = this.#revokeWithinBudget(reason).finally(() => {
      this.#revocation = undefined
      this.#revocationEnd = settled()
      end.resolve()
    })
    this.#revocation = revocation
    return revocation
  }

  async #revokeWithinBudget(reason: string): Promise<void> {
    const started = performance.now()
    const budgetMs = this.#revocationBudgetMs
    const rows = this.#bufferedRows()
    this.#log(
      'info',
      'ingest.rebalance',
      `Rebalancing (seen by ${reason}): committing ${rows} buffered rows within ${budgetMs} ms before rejoining`,
      { budgetMs, rows },
    )
    const outcome = await within(
      this.flush().then(
        () => 'committed' as const,
        () => 'failed' as const,
      ),
      budgetMs,
      'abandoned' as const,
    )
    for (const part of this.#parts.values())
      for (const sink of this.#sinks()) sink.forget(part.topic, part.partition)
    this.#parts.clear()
    this.#fetcher?.assign([])
    const ms = performance.now() - started
    this.#hooks.histogram('lake.ingest.revocation.flush_ms', ms, { outcome })
    this.#hooks.counter('lake.ingest.revocations', 1, { outcome })
    this.#log(
      outcome === 'committed' ? 'info' : 'warn',
      'ingest.revocation',
      outcome === 'committed'
        ? `Committed what was held in ${Math.round(ms)} ms; rejoining`
        : `The commit ${outcome === 'failed' ? 'failed' : `was not done within ${budgetMs} ms`}; rejoining without it: the partitions' next owners replay from the tables' offsets`,
      { outcome, ms: Math.round(ms), budgetMs, rows },
    )
    this.#gauges()
  }

  /** Decodes, transforms, routes and validates a batch's records, and buffers them per table. */
  async #ingest(batch: FetchedRecords): Promise<boolean> {
    const { topic, partition, records } = batch
    const count = records.length
    const sinks = this.#sinks()
    // A record is read if any table lacks it: if its offset reaches the lowest table's position.
    const position = this.#position(topic, partition)
    // Where each table stood when the batch began: a partition rewound meanwhile (lost, or its
    // rows dropped for a schema change, then reset while this batch waited) must not take it.
    const starts = new Map(sinks.map((sink) => [sink, sink.next(topic, partition)]))
    // Offsets as numbers, a bigint per record being a heap object: Lake's fetch path reads them
    // so (safe integers, checked), kafkajs's as strings, of which the batch's last is checked.
    if (count > 0 && !Number.isSafeInteger(records.offset(count - 1))) {
      const offset = String(records.at(count - 1).offset)
      this.#fail(
        new UnsupportedError(`Offset ${offset} of ${topic}/${partition} is beyond 2^53`, {
          context: { topic, partition, offset },
        }),
      )
      return false
    }
    // Offsets rise through a batch: those the tables hold already are a prefix of it.
    const from = position === undefined ? -1 : Number(position)
    let first = 0
    while (first < count && records.offset(first) < from) first++
    this.#hooks.counter('lake.ingest.records.consumed', count - first, { topic })
    const refused: RefusedRecord[] = []
    // JSON read straight into the one table's columns is read in the loop below, record by
    // record, from the fetched bytes; the general path takes each record whole.
    const reads = this.#readsJson && sinks.length === 1
    const pending: (Decoded | undefined | Promise<Decoded | undefined>)[] = []
    if (!reads)
      for (let i = first; i < count; i++)
        pending.push(this.#decodeOne(records.at(i), topic, partition, refused))
    const decoded = pending.some((d) => d instanceof Promise)
      ? await Promise.all(pending)
      : (pending as Awaited<(typeof pending)[number]>[])
    const transform = this.#opts.transform
    const transformed: (Pick<Decoded, 'rows' | 'meta' | 'size'> | undefined)[] = transform
      ? await mapLimit(decoded, this.#opts.transformConcurrency ?? 16, async (d) => {
          if (!d) return undefined
          try {
            return { meta: d.meta, size: d.size, rows: asRows(await transform(d.rows[0]!, d.meta)) }
          } catch (error) {
            refused.push({ stage: 'transform', error, meta: d.meta, value: d.value })
            return undefined
          }
        })
      : decoded

    // Each record's rows are validated straight into its tables' columns, once; a refused
    // record leaves no row in any of them. With 'add-columns', a record that needs new or wider
    // columns changes its table's schema, and the batch is validated again against the new one.
    const early = refused.length
    let stages: Map<TableSink, StagedRecords>
    validate: for (;;) {
      stages = new Map(sinks.map((sink) => [sink, sink.stage()]))
      const reader = reads ? this.#reader(sinks[0]!.schema) : undefined
      // The one table's stage, where the reader reads.
      const only = reader ? stages.get(sinks[0]!) : undefined
      for (let i = first; i < count; i++) {
        let item = transformed[i - first]
        const offset = records.offset(i)
        if (reader && only) {
          // A commit's requests answer between slices, rather than after the whole batch.
          if (i > first && (i - first) % READ_SLICE === 0) await immediate()
          const size = records.size(i)
          const start = records.valueStart(i)
          if (
            start >= 0 &&
            size <= this.#maxRecordBytes &&
            only.read(reader, records.bytes(i), start, records.valueEnd(i))
          ) {
            only.end(offset, size)
            continue
          }
          // Declined (and tombstones, and records over maxRecordBytes): the general path decides.
          const one = this.#decodeOne(records.at(i), topic, partition, refused)
          item = one instanceof Promise ? await one : one
        }
        if (item) {
          let problem = this.#routeAndValidate(item.rows, item.meta, stages)
          if (problem?.evolve) {
            const outcome = await this.#evolve(problem.evolve, problem)
            if (outcome === 'evolved') {
              refused.length = early
              continue validate
            }
            if (outcome === 'retry') return false
            problem = outcome
          }
          if (problem) {
            refused.push({ ...problem, meta: item.meta, value: records.at(i).value })
            for (const stage of stages.values()) stage.drop()
          }
        }
        for (const stage of stages.values()) stage.end(offset, item?.size ?? 0)
      }
      break
    }
    // Dead letters are sent before their offsets are buffered, so no commit can cover them first.
    if (refused.length > 0) await this.#refuse(refused)
    if (this.#failed !== undefined) return false
    let written = 0
    for (const [sink, stage] of stages) {
      // Lost, or the table's schema changed, while this batch was processed: it is fetched again.
      if (!sink.knows(topic, partition) || sink.next(topic, partition) !== starts.get(sink)) return false
      const rows = sink.accept(topic, partition, stage)
      if (rows === undefined) return false
      written += rows
    }
    this.#hooks.counter('lake.ingest.records.buffered', written, { topic })
    return true
  }

  /**
   * The JSON row reader of a schema, where the worker {@link Worker.#readsJson | reads JSON so}:
   * records it declines (and tombstones, and records over `maxRecordBytes`) are left to
   * {@link Worker.#decodeOne}.
   */
  #reader(schema: Schema): JsonRowReader {
    let reader = this.#readers.get(schema)
    if (!reader) {
      reader = new JsonRowReader(schema, this.#opts.unknownFields === 'ignore')
      this.#readers.set(schema, reader)
    }
    return reader
  }

  #decodeOne(
    message: FetchedRecord,
    topic: string,
    partition: number,
    refused: RefusedRecord[],
  ): Decoded | undefined | Promise<Decoded | undefined> {
    const meta: RecordMeta = {
      topic,
      partition,
      offset: BigInt(message.offset),
      timestamp: new Date(Number(message.timestamp)),
      key: message.key ?? null,
      headers: headersOf(message),
    }
    const value = message.value ?? null
    const size = (value?.length ?? 0) + (message.key?.length ?? 0)
    if (size > this.#maxRecordBytes) {
      const error = new ValidationError(
        `The record is ${size} bytes, more than maxRecordBytes ${this.#maxRecordBytes}`,
      )
      refused.push({ stage: 'size', error, meta, value })
      return undefined
    }
    // Synchronous decoders (JSON, Avro, raw) stay synchronous: no promise, and no closure, per record.
    let row: Row | Promise<Row>
    try {
      row = this.#decode(value, meta)
    } catch (error) {
      refused.push({ stage: 'decode', error, meta, value })
      return undefined
    }
    if (!(row instanceof Promise)) return this.#decoded(row, meta, size, value)
    return row.then(
      (r) => this.#decoded(r, meta, size, value),
      (error: unknown) => {
        refused.push({ stage: 'decode', error, meta, value })
        return undefined
      },
    )
  }

  #decoded(row: Row, meta: RecordMeta, size: number, value: Buffer | null): Decoded {
    this.#addMetadata(row, meta)
    return { rows: [row], meta, size, value }
  }

  #addMetadata(row: Row, meta: RecordMeta): void {
    const columns = this.#opts.metadataColumns
    if (!columns) return
    if (columns.topic) row[columns.topic] = meta.topic
    if (columns.partition) row[columns.partition] = meta.partition
    if (columns.offset) row[columns.offset] = meta.offset
    if (columns.timestamp) row[columns.timestamp] = meta.timestamp
    if (columns.key) row[columns.key] = meta.key?.toString('utf8') ?? null
    if (columns.headers) {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(meta.headers))
        if (value) headers[name] = value.toString('utf8')
      row[columns.headers] = headers
    }
  }

  /**
   * Routes each row of a record and validates it into its table's stage; the first problem
   * refuses the whole record (the caller drops the rows staged before it).
   */
  #routeAndValidate(
    rows: readonly Row[],
    meta: RecordMeta,
    stages: ReadonlyMap<TableSink, StagedRecords>,
  ): Refusal | undefined {
    for (const row of rows) {
      let target: Target | undefined
      const route = this.#opts.route
      if (route) {
        let name: unknown
        try {
          name = typeof route.by === 'string' ? row[route.by] : route.by(row, meta)
        } catch (error) {
          return { stage: 'route', error }
        }
        target = typeof name === 'string' ? this.#targets.get(name) : undefined
        if (!target) {
          return {
            stage: 'route',
            error: new ValidationError(
              `The row's route ${JSON.stringify(name) ?? 'undefined'} names no table`,
              {
                context: typeof route.by === 'string' ? { field: route.by } : {},
              },
            ),
          }
        }
      } else {
        target = this.#targets.values().next().value!
      }
      let input = row
      if (this.#opts.unknownFields === 'ignore') {
        const names = target.sink.fieldNames
        input = {}
        for (const name in row) if (names.has(name)) input[name] = row[name]
      }
      const stage = stages.get(target.sink)!
      try {
        stage.add(input)
      } catch (error) {
        const refusal = validationRefusal(error, target.sink)
        if (this.#opts.schemaEvolution !== 'add-columns' || !(error instanceof ValidationError))
          return refusal
        const retried = this.#evolution(stage, target.sink, input, refusal)
        if (retried) return retried
      }
    }
    return undefined
  }

  /**
   * `'add-columns'`, after `row` failed validation: undefined once it is validated again without
   * the fields whose type cannot be told yet; a refusal marked `evolve` when it needs new or
   * wider columns; else the refusal.
   */
  #evolution(stage: StagedRecords, sink: TableSink, row: Row, refusal: Refusal): Refusal | undefined {
    try {
      const next = evolutionOf(sink.schema, row)
      if (next === undefined) return refusal
      if ('changes' in next) return { ...refusal, evolve: { sink, row, schemaId: stage.schemaId } }
      stage.add(next.row)
      return undefined
    } catch (error) {
      return validationRefusal(error, sink)
    }
  }

  /**
   * `'add-columns'`: changes a table's schema so that `row` fits, in the commit lane. What is
   * buffered, validated against the old schema, is committed first; what could not be is dropped
   * and read again. `'evolved'` when the table's sink now validates against another schema
   * (changed here or by another worker); `'retry'` when the change failed for a reason other
   * than the row (the batch is fetched again); otherwise the record's refusal.
   */
  async #evolve(
    { sink, row, schemaId }: NonNullable<Refusal['evolve']>,
    refusal: Refusal,
  ): Promise<'evolved' | 'retry' | Refusal> {
    const table = sink.table.name
    try {
      const dropped = await this.#inLane(async () => {
        await this.#commitAll().catch(() => {})
        await evolveSchema(sink.table, [row])
        return sink.adoptSchema()
      })
      // The row was validated against the schema the sink still uses: nothing changed for it.
      if (sink.schema.schemaId === schemaId) return refusal
      if (dropped !== undefined) {
        const schemaId = sink.schema.schemaId
        this.#hooks.counter('lake.ingest.schema.changes', 1, { table })
        this.#log('info', 'ingest.schema.evolved', `The schema of ${table} is now ${schemaId}`, {
          table,
          schemaId,
        })
        // Rows that could not be carried over to the new schema are read again.
        const lost = {
          snapshot: undefined,
          rows: 0,
          attempts: 0,
          lost: dropped,
          committed: [],
          schemaChanged: true,
        }
        if (dropped.length > 0) this.#committed(sink, lost, 0)
      }
      return 'evolved'
    } catch (error) {
      if (error instanceof ValidationError) return validationRefusal(error, sink)
      const message = `Changing the schema of ${table} failed: ${describe(error)}`
      this.#log('warn', 'ingest.schema.failed', message, { table, error })
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      return 'retry'
    }
  }

  /** Refused records go to the dead-letter topic before their offsets can be committed, or are skipped, or fail the worker. */
  async #refuse(refused: RefusedRecord[]): Promise<void> {
    for (const r of refused) {
      this.#log(
        'warn',
        'ingest.refused',
        `Refused ${r.meta.topic}/${r.meta.partition}@${r.meta.offset} at ${r.stage}: ${describe(r.error)}`,
        {
          stage: r.stage,
          table: r.table,
          error: r.error,
        },
      )
    }
    if (this.#mode === 'fail') {
      const first = refused[0]!
      this.#fail(
        new IngestError(
          `Record ${first.meta.topic}/${first.meta.partition}@${first.meta.offset} was refused at ${first.stage}`,
          {
            cause: first.error,
            context: {
              topic: first.meta.topic,
              partition: first.meta.partition,
              offset: String(first.meta.offset),
              stage: first.stage,
            },
          },
        ),
      )
      return
    }
    if (this.#mode === 'skip') {
      this.#hooks.counter('lake.ingest.records.skipped', refused.length, { topic: refused[0]!.meta.topic })
      return
    }
    const topic = this.#opts.deadLetter!.topic!
    try {
      await withRetry(
        () =>
          this.#producer!.send({ topic, messages: refused.map(deadLetterMessage) }).catch(
            (error: unknown) => {
              throw new IngestError(
                `Sending ${refused.length} dead letters to ${topic} failed: ${describe(error)}`,
                {
                  cause: error,
                  retryable: (error as { retriable?: boolean }).retriable !== false,
                  context: { topic },
                },
              )
            },
          ),
        { retries: 10, maxDelayMs: 5_000, hooks: this.#hooks, operation: 'ingest.dead-letter' },
      )
    } catch (error) {
      this.#fail(error)
      return
    }
    for (const r of refused) this.#hooks.counter('lake.ingest.records.dead_lettered', 1, { stage: r.stage })
  }

  /** Commits every table with something buffered, then tells Kafka the tables' offsets for lag monitoring. */
  async #commitAll(): Promise<void> {
    this.#clock.started()
    for (const sink of this.#sinks()) {
      if (!sink.hasPending) continue
      const started = performance.now()
      this.#log(
        'debug',
        'ingest.commit.start',
        `Committing ${sink.bufferedRows} rows to ${sink.table.name}`,
        {
          table: sink.table.name,
        },
      )
      let result: SinkCommit
      try {
        result = await withRetry(() => sink.commit(), {
          retries: this.#opts.commitRetries ?? 6,
          maxDelayMs: 10_000,
          hooks: this.#hooks,
          operation: `ingest.commit ${sink.table.name}`,
          shouldRetry: isRetryable,
        })
      } catch (error) {
        this.#hooks.counter('lake.ingest.commit.failures', 1, { table: sink.table.name })
        if (isRetryable(error) || error instanceof AbortedError) {
          this.#log(
            'error',
            'ingest.commit.failed',
            `Commit to ${sink.table.name} failed, will try again: ${describe(error)}`,
            {
              table: sink.table.name,
              error,
            },
          )
          throw error
        }
        this.#fail(error)
        throw error
      }
      this.#committed(sink, result, performance.now() - started)
    }
    this.#kafkaCommit = this.#commitKafkaOffsets()
    this.#gauges()
  }

  #committed(sink: TableSink, result: SinkCommit, ms: number): void {
    const table = sink.table.name
    for (const range of result.lost) {
      const part = this.#parts.get(partitionKey(range.topic, range.partition))
      if (part) part.loaded = false
      for (const other of this.#sinks()) other.forget(range.topic, range.partition)
      if (result.schemaChanged) continue
      this.#hooks.counter('lake.ingest.partitions.lost', 1, { table })
      this.#log(
        'warn',
        'ingest.partition.lost',
        `${range.topic}/${range.partition} was committed to ${table} by another owner; its buffered rows are dropped`,
        {
          table,
          topic: range.topic,
          partition: range.partition,
        },
      )
    }
    if (result.schemaChanged) {
      this.#log(
        'warn',
        'ingest.schema.changed',
        `The schema of ${table} changed; its buffered rows are dropped and read again to be validated against schema ${sink.schema.schemaId}`,
        { table, schemaId: sink.schema.schemaId },
      )
    }
    if (result.lost.length > 0) void this.#reseek(result.lost)
    if (!result.snapshot) return
    const summary = result.snapshot.summary
    this.#hooks.counter('lake.ingest.commits', 1, { table })
    this.#hooks.histogram('lake.ingest.commit.duration_ms', ms, { table })
    this.#hooks.counter('lake.ingest.commit.retries', Math.max(0, result.attempts - 1), { table })
    this.#hooks.counter('lake.ingest.records.written', result.rows, { table })
    this.#hooks.counter('lake.ingest.files.written', Number(summary['added-data-files'] ?? 0), { table })
    this.#hooks.counter('lake.ingest.bytes.written', Number(summary['added-files-size'] ?? 0), { table })
    this.#log('info', 'ingest.commit', `Committed ${result.rows} rows to ${table} in ${Math.round(ms)} ms`, {
      table,
      snapshotId: String(result.snapshot.snapshotId),
      rows: result.rows,
      attempts: result.attempts,
      offsets: result.committed.map((r) => `${r.topic}/${r.partition}:${r.from ?? '-'}..${r.to}`),
    })
  }

  /**
   * Tells Kafka the tables' offsets, for lag monitoring only. Not awaited by the commit: kafkajs
   * may rejoin the group inside `commitOffsets` during a rebalance, and the rebalance waits for
   * this worker's batch, which may be waiting for the commit that called this. A stop, whose last
   * commit no batch waits for, awaits it ({@link Worker.#kafkaCommit}) before leaving the group.
   */
  #commitKafkaOffsets(): Promise<void> {
    const offsets: { topic: string; partition: number; offset: string }[] = []
    for (const part of this.#parts.values()) {
      let min: bigint | undefined
      let known = true
      for (const sink of this.#sinks()) {
        const committed = sink.committed(part.topic, part.partition)
        if (committed === undefined) known = false
        else if (min === undefined || committed < min) min = committed
      }
      if (known && min !== undefined) {
        offsets.push({ topic: part.topic, partition: part.partition, offset: String(min) })
        if (part.highWatermark !== undefined) {
          this.#hooks.gauge('lake.ingest.lag', Number(part.highWatermark - min), {
            topic: part.topic,
            partition: part.partition,
          })
        }
      }
    }
    if (offsets.length === 0 || !this.#consumer) return Promise.resolve()
    // For lag monitoring only; it fails harmlessly for partitions that just moved.
    return this.#consumer.commitOffsets(offsets).catch((error: unknown) => {
      this.#log(
        'debug',
        'ingest.kafka-commit',
        `Committing Kafka offsets for monitoring failed: ${describe(error)}`,
      )
    })
  }

  #gauges(): void {
    this.#hooks.gauge('lake.ingest.buffered.rows', this.#bufferedRows())
    this.#hooks.gauge('lake.ingest.buffered.bytes', this.#bufferedBytes())
  }

  #log(
    level: 'debug' | 'info' | 'warn' | 'error',
    event: string,
    message: string,
    fields: Record<string, unknown> = {},
  ): void {
    this.#hooks.log({ level, event, message, fields: { groupId: this.#opts.groupId, ...fields } })
  }
}

/** A promise and its resolve function. */
function settled(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Why a record was refused; `evolve` marks a refusal that a schema change may lift. */
interface Refusal {
  stage: FailureStage
  error: unknown
  table?: string
  /** The sink, the row, and the schema the row was validated against. */
  evolve?: { sink: TableSink; row: Row; schemaId: number }
}

/** A refusal at validation, with the table named in a `ValidationError`'s context. */
function validationRefusal(error: unknown, sink: TableSink): Refusal {
  const table = sink.table.name
  if (error instanceof ValidationError) error.context.table = table
  return { stage: 'validate', error, table }
}

function asRows(result: TransformResult): Row[] {
  if (result === null || result === undefined) return []
  if (Array.isArray(result)) return result as Row[]
  return [result as Row]
}

/** The headers of records that have none, shared. */
const NO_HEADERS: Readonly<Record<string, Buffer | undefined>> = Object.freeze({})

function headersOf(message: FetchedRecord): Readonly<Record<string, Buffer | undefined>> {
  const headers = message.headers
  if (!headers) return NO_HEADERS
  let any = false
  for (const _ in headers) {
    any = true
    break
  }
  if (!any) return NO_HEADERS
  const out: Record<string, Buffer | undefined> = {}
  for (const [name, value] of Object.entries(headers)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value
    out[name] =
      last === undefined || last === null
        ? undefined
        : Buffer.isBuffer(last)
          ? last
          : Buffer.from(String(last))
  }
  return out
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** What `work` settles to, or `late` if it has not settled within `ms`. */
async function within<T, U>(work: Promise<T>, ms: number, late: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      work,
      new Promise<U>((resolve) => {
        timer = setTimeout(() => resolve(late), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
