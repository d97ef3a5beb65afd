import { IngestError, ValidationError } from '@lake/errors'
import { CompressionTypes, Kafka, type KafkaConfig, type Message, Partitioners, type Producer } from 'kafkajs'
import { z } from 'zod'
import { type AvroSchema, compileAvroEncoder } from './avro.js'

/** A Kafka header value, or several. */
export type HeaderValue = string | Buffer | readonly (string | Buffer)[]

/**
 * How a record becomes a Kafka value:
 *
 * - `'json'` (the default): UTF-8 JSON text, read back by the worker's `'json'` decoder. A
 *   `bigint` is written as a JSON number with all its digits, a `Date` as ISO text.
 * - `{ avro: schema }`: Avro's binary encoding of the record, read back by the worker's
 *   `{ avro: schema }` decoder (the same schema code); with `confluent: { schemaId }` after the
 *   Confluent Schema Registry's 5-byte prefix (magic byte 0, the id as a big-endian int32), read
 *   back with `confluent: true`.
 * - a function returning the value's bytes or text.
 */
export type Serializer<R> =
  | 'json'
  | { avro: AvroSchema; confluent?: { schemaId: number } }
  | ((record: R) => Buffer | Uint8Array | string)

/** The options of {@link createProducer}. */
export interface ProducerOptions<R> {
  /** A kafkajs `Kafka` client, or the configuration of one (`{ brokers: ['127.0.0.1:9092'] }`). */
  kafka: Kafka | KafkaConfig
  /** The topic every record goes to. */
  topic: string
  /** How a record becomes the message's value. Default `'json'`. */
  serializer?: Serializer<R>
  /** The message key of a record (null for none), which also picks its partition. No key by default. */
  key?: (record: R) => string | Buffer | null | undefined
  /** Headers of every message, or of each record. */
  headers?: Readonly<Record<string, HeaderValue>> | ((record: R) => Readonly<Record<string, HeaderValue>>)
  /** Acknowledgements awaited: `-1` all in-sync replicas (the default), `1` the leader, `0` none. */
  acks?: -1 | 0 | 1
  /** Kafka's idempotent producer, so a retried send writes once. Default true; needs `acks: -1`. */
  idempotent?: boolean
  /** Compression of each batch: `'none'` (default) or `'gzip'` (kafkajs's built-in codec). */
  compression?: 'none' | 'gzip'
  /**
   * Records sent together: `send` calls made within `lingerMs` (default 0: the same turn of the
   * event loop) go to Kafka as one request of at most `maxRecords` (default 10 000).
   */
  batch?: { lingerMs?: number; maxRecords?: number }
}

/** A producer of records to one topic; see {@link createProducer}. */
export interface LakeProducer<R> {
  /**
   * Serialises the records and sends them, batched with other sends; resolves once Kafka has
   * acknowledged them (per `acks`). A record that cannot be serialised rejects the call with a
   * `ValidationError` naming the field, before any of its records is sent.
   */
  send(records: R | readonly R[]): Promise<void>
  /** Sends what is waiting for the linger time now, and resolves once everything sent so far is acknowledged. */
  flush(): Promise<void>
  /** Flushes, then disconnects. */
  close(): Promise<void>
}

interface Pending {
  messages: Message[]
  resolve: () => void
  reject: (error: unknown) => void
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function')
const headerValue = z.union([
  z.string(),
  z.instanceof(Buffer),
  z.array(z.union([z.string(), z.instanceof(Buffer)])),
])

const schema = z
  .object({
    kafka: z.union([
      z.instanceof(Kafka),
      z.looseObject({ brokers: z.union([z.array(z.string()).min(1), fn]) }),
    ]),
    topic: z.string().min(1),
    serializer: z
      .union([
        z.literal('json'),
        fn,
        z
          .object({
            avro: z.union([z.string(), z.array(z.unknown()), z.looseObject({ type: z.string() })]),
            confluent: z
              .object({
                schemaId: z
                  .number()
                  .int()
                  .min(0)
                  .max(2 ** 31 - 1),
              })
              .strict()
              .optional(),
          })
          .strict(),
      ])
      .optional(),
    key: fn.optional(),
    headers: z.union([fn, z.record(z.string(), headerValue)]).optional(),
    acks: z.union([z.literal(-1), z.literal(0), z.literal(1)]).optional(),
    idempotent: z.boolean().optional(),
    compression: z.enum(['none', 'gzip']).optional(),
    batch: z
      .object({
        lingerMs: z.number().int().nonnegative().optional(),
        maxRecords: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((o) => o.idempotent === false || (o.acks ?? -1) === -1, {
    message: 'an idempotent producer needs acks -1; set idempotent: false for acks 0 or 1',
    path: ['acks'],
  })

/**
 * Creates a producer of records to one Kafka topic, serialised as the ingest worker's decoders
 * read them (JSON, Avro with the same schema code, optionally Confluent-framed), with keys and
 * headers per record, batched, idempotent by default. For sources feeding a worker, and tests.
 *
 * @example
 * ```ts
 * const producer = createProducer<Event>({
 *   kafka: { brokers: ['127.0.0.1:9092'] },
 *   topic: 'events',
 *   key: (e) => e.userId,
 *   headers: { source: 'web' },
 * })
 * await producer.send([{ userId: 'u1', kind: 'view', at: new Date() }])
 * await producer.close()
 * ```
 */
export function createProducer<R = Record<string, unknown>>(options: ProducerOptions<R>): LakeProducer<R> {
  const result = schema.safeParse(options)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const path = issue.path.join('.')
    throw new ValidationError(`Producer options: ${path ? `${path}: ` : ''}${issue.message}`, {
      context: { field: path || 'options' },
    })
  }
  return new RecordProducer(options)
}

class RecordProducer<R> implements LakeProducer<R> {
  readonly #opts: ProducerOptions<R>
  readonly #producer: Producer
  readonly #serialize: (record: R) => Buffer
  readonly #lingerMs: number
  readonly #maxRecords: number
  #connected: Promise<void> | undefined
  #waiting: Pending[] = []
  #waitingRecords = 0
  #timer: NodeJS.Timeout | undefined
  readonly #inFlight = new Set<Promise<void>>()
  #closed = false

  constructor(opts: ProducerOptions<R>) {
    this.#opts = opts
    const kafka =
      opts.kafka instanceof Kafka ? opts.kafka : new Kafka({ clientId: 'lake-producer', ...opts.kafka })
    const idempotent = opts.idempotent ?? true
    // Kafka's own partitioner (murmur2 of the key), as Java clients pick partitions.
    this.#producer = kafka.producer({
      idempotent,
      createPartitioner: Partitioners.DefaultPartitioner,
      ...(idempotent ? { maxInFlightRequests: 1 } : {}),
    })
    this.#serialize = serializerOf(opts.serializer ?? 'json')
    this.#lingerMs = opts.batch?.lingerMs ?? 0
    this.#maxRecords = opts.batch?.maxRecords ?? 10_000
  }

  send(records: R | readonly R[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new IngestError('The producer is closed', { context: { topic: this.#opts.topic } }),
      )
    }
    let messages: Message[]
    try {
      messages = (Array.isArray(records) ? (records as readonly R[]) : [records as R]).map((r, i) =>
        this.#message(r, Array.isArray(records) ? i : undefined),
      )
    } catch (error) {
      return Promise.reject(error)
    }
    if (messages.length === 0) return Promise.resolve()
    const sent = new Promise<void>((resolve, reject) => {
      this.#waiting.push({ messages, resolve, reject })
    })
    this.#waitingRecords += messages.length
    if (this.#waitingRecords >= this.#maxRecords) this.#drain()
    else this.#timer ??= setTimeout(() => this.#drain(), this.#lingerMs)
    return sent
  }

  async flush(): Promise<void> {
    this.#drain()
    await Promise.allSettled([...this.#inFlight])
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.flush()
    if (this.#connected) await this.#producer.disconnect()
  }

  #message(record: R, index: number | undefined): Message {
    let value: Buffer
    try {
      value = this.#serialize(record)
    } catch (error) {
      if (error instanceof ValidationError && index !== undefined) error.context.record = index
      throw error
    }
    const message: Message = { value }
    const key = this.#opts.key?.(record)
    if (key !== undefined && key !== null) message.key = key
    const headers = typeof this.#opts.headers === 'function' ? this.#opts.headers(record) : this.#opts.headers
    if (headers) message.headers = headers as Message['headers']
    return message
  }

  /** Sends everything waiting, in requests of at most `maxRecords`, each settling its sends. */
  #drain(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    while (this.#waiting.length > 0) {
      const group: Pending[] = []
      let count = 0
      while (
        this.#waiting.length > 0 &&
        (count === 0 || count + this.#waiting[0]!.messages.length <= this.#maxRecords)
      ) {
        const next = this.#waiting.shift()!
        group.push(next)
        count += next.messages.length
      }
      this.#waitingRecords -= count
      const request = this.#sendGroup(group)
      this.#inFlight.add(request)
      void request.finally(() => this.#inFlight.delete(request))
    }
  }

  async #sendGroup(group: Pending[]): Promise<void> {
    try {
      this.#connected ??= this.#producer.connect()
      await this.#connected
      await this.#producer.send({
        topic: this.#opts.topic,
        messages: group.flatMap((p) => p.messages),
        acks: this.#opts.acks ?? -1,
        compression: this.#opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      })
      for (const p of group) p.resolve()
    } catch (error) {
      const failure = new IngestError(
        `Sending ${group.reduce((n, p) => n + p.messages.length, 0)} records to ${this.#opts.topic} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
        {
          cause: error,
          retryable: (error as { retriable?: boolean }).retriable === true,
          context: { topic: this.#opts.topic },
        },
      )
      for (const p of group) p.reject(failure)
    }
  }
}

/** The value bytes of a record by a {@link Serializer}; a record that cannot be written is a `ValidationError` naming the field. */
export function serializerOf<R>(serializer: Serializer<R>): (record: R) => Buffer {
  if (serializer === 'json') return (record) => Buffer.from(toJson(record), 'utf8')
  if (typeof serializer === 'function') {
    return (record) => {
      const value = serializer(record)
      return typeof value === 'string'
        ? Buffer.from(value, 'utf8')
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    }
  }
  const encode = compileAvroEncoder(serializer.avro)
  const confluent = serializer.confluent
  if (!confluent) {
    return (record) => {
      const bytes = encode(record)
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    }
  }
  const prefix = Buffer.alloc(5)
  prefix.writeInt32BE(confluent.schemaId, 1)
  return (record) => Buffer.concat([prefix, encode(record)])
}

/** A private-use marker for a bigint's digits, swapped for the bare digits after JSON.stringify. */
const BIGINT = '\uE000lake-bigint:'
const BIGINT_TEXT = new RegExp(`"${BIGINT}(-?\\d+)"`, 'g')

/**
 * JSON text of a record, refusing what JSON would silently change (a non-finite number becomes
 * null, bytes an object of indexes, a function vanishes) with a `ValidationError` naming the field.
 */
function toJson(record: unknown): string {
  let bigints = false
  check(record, '')
  const text = JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value !== 'bigint') return value
    bigints = true
    return `${BIGINT}${value}`
  })
  return bigints ? text.replace(BIGINT_TEXT, '$1') : text

  function check(value: unknown, path: string): void {
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      typeof value === 'bigint'
    ) {
      if (typeof value === 'string' && value.startsWith(BIGINT))
        refuse(path, 'text starting with a reserved character')
      return
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) refuse(path, `${value}, which JSON has no number for`)
      return
    }
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) refuse(path, 'an invalid Date')
      return
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`)
      return
    }
    if (typeof value === 'object' && value !== undefined) {
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        refuse(path, `a ${value.constructor?.name ?? 'non-plain object'}, which JSON does not keep`)
      }
      for (const [name, v] of Object.entries(value)) {
        if (v !== undefined) check(v, path ? `${path}.${name}` : name)
      }
      return
    }
    refuse(path, `a ${typeof value}, which JSON does not keep`)
  }
}

function refuse(path: string, what: string): never {
  const field = path || 'value'
  throw new ValidationError(`Field '${field}' cannot be written as JSON: it is ${what}`, {
    context: { field },
  })
}
