import type { Catalog } from '@lake/catalog'
import { type LakeHooks, ValidationError } from '@lake/errors'
import { Kafka, type KafkaConfig } from 'kafkajs'
import { z } from 'zod'
import type { Decode, RecordMeta, Row } from './decode.js'

/** What `transform` may return for one row: a row, several rows (a split), or null/undefined to drop it. */
export type TransformResult = Row | readonly Row[] | null | undefined

/** Columns that Kafka metadata is written to, by metadata field; unnamed fields are not written. */
export interface MetadataColumns {
  /** A `string` column for the source topic. */
  topic?: string
  /** An `int` column for the partition. */
  partition?: string
  /** A `long` column for the offset. */
  offset?: string
  /** A `timestamp` or `timestamptz` column for the record's timestamp. */
  timestamp?: string
  /** A `string` column for the key, as UTF-8 text. */
  key?: string
  /** A `map<string, string>` column for the headers, as UTF-8 text. */
  headers?: string
}

/** Routing of records to several tables. */
export interface RouteOptions {
  /** The target tables by route name, e.g. `{ view: 'analytics.views', click: 'analytics.clicks' }`. */
  tables: Readonly<Record<string, string>>
  /**
   * The route of a row: the name of a field whose value is the route name, or a function
   * returning it. A row whose route is not in `tables` goes to the dead letters.
   */
  by: string | ((row: Row, meta: RecordMeta) => string | null | undefined)
}

/** When a worker commits what it buffered; whichever limit is reached first. */
export interface CommitTriggers {
  /**
   * Milliseconds from the start of one commit to the next while anything is buffered. A commit
   * started by `rows` or `bytes` (or `flush()`) moves the next timed one back, so no small commit
   * follows it at once. Default 10 000.
   */
  intervalMs?: number
  /**
   * Buffered rows over all tables, those of a commit in flight included. A commit asked for
   * while another runs commits, when it begins, only if what is buffered then still reaches
   * `rows` or `bytes`. No limit by default.
   */
  rows?: number
  /** Buffered bytes (the rows' estimated memory, as `maxBufferedBytes` counts it) over all tables. Default half of `maxBufferedBytes`. */
  bytes?: number
}

/** What happens to a record that cannot be decoded, transformed, routed or validated. */
export interface DeadLetterOptions {
  /** The dead-letter topic; with it the mode defaults to `'dead-letter'`, without it to `'fail'`. */
  topic?: string
  /**
   * `'dead-letter'`: send it to `topic` with headers naming the reason; `'skip'`: drop and count
   * it; `'fail'`: stop the worker with the error.
   */
  mode?: 'dead-letter' | 'skip' | 'fail'
}

/** How a worker gives its partitions up when its consumer group rebalances. */
export interface RevocationOptions {
  /**
   * Milliseconds a worker spends, once it sees a rebalance, committing what it holds before it
   * rejoins the group. kafkajs's groups are eager: every partition is revoked, so all buffered
   * rows are committed. A commit not done by then is abandoned: the worker drops what it holds
   * and rejoins, and the next owner of each partition replays it from the table's offsets (if
   * the abandoned commit lands later, its compare-and-set keeps it exact).
   *
   * The rejoin must reach the broker within `consumer.rebalanceTimeout` of the rebalance's start,
   * or the member is removed from the group, so the budget must be less than it. Default
   * {@link defaultRevocationBudgetMs}: the smaller of half the rebalance timeout and the rebalance
   * timeout less a heartbeat interval (the worker may see the rebalance that late) and 5 s.
   */
  budgetMs?: number
}

/**
 * The worker's default `consumer.maxBytesPerPartition`: 4 MiB, four times kafkajs's. Each fetch
 * is a round trip the worker waits for; on the ingest benchmark's 1M events (about 200 bytes
 * each) it was faster than 1 MiB in seven of eight alternating pairs, by 5% on average
 * (docs/benchmarks.md).
 */
export const DEFAULT_FETCH_BYTES_PER_PARTITION = 4 * 1024 * 1024

/** kafkajs's defaults, which the worker keeps unless `consumer` changes them. */
const KAFKAJS_REBALANCE_TIMEOUT_MS = 60_000
const KAFKAJS_HEARTBEAT_INTERVAL_MS = 3_000

/**
 * The default revocation budget for a consumer's timeouts: `min(rebalanceTimeout / 2,
 * rebalanceTimeout − heartbeatInterval − 5 s)`, at least 0. With kafkajs's defaults (60 s,
 * 3 s) it is 30 s.
 */
export function defaultRevocationBudgetMs(consumer?: {
  rebalanceTimeout?: number
  heartbeatInterval?: number
}): number {
  const rebalance = consumer?.rebalanceTimeout ?? KAFKAJS_REBALANCE_TIMEOUT_MS
  const heartbeat = consumer?.heartbeatInterval ?? KAFKAJS_HEARTBEAT_INTERVAL_MS
  return Math.max(0, Math.min(Math.floor(rebalance / 2), rebalance - heartbeat - 5_000))
}

/** The options of {@link createIngestWorker}. */
export interface IngestWorkerOptions {
  /** A kafkajs `Kafka` client, or the configuration of one (`{ brokers: ['127.0.0.1:9092'] }`). */
  kafka: Kafka | KafkaConfig
  /** The consumer group; also names the offsets in the tables' snapshot summaries. */
  groupId: string
  /** Topics to consume. */
  topics: readonly string[]
  /** The catalog the tables are loaded from. */
  catalog: Catalog
  /** The one target table, e.g. `'analytics.events'`; or use `route`. */
  table?: string
  /** Several target tables, chosen per row; or use `table`. */
  route?: RouteOptions
  /** How a record's value becomes a row. Default `'json'`. */
  decode?: Decode
  /** Kafka metadata written into columns. */
  metadataColumns?: MetadataColumns
  /**
   * Enriches, splits or drops each decoded row; may be async. Called in record order with at
   * most `transformConcurrency` calls outstanding.
   */
  transform?: (row: Row, meta: RecordMeta) => TransformResult | Promise<TransformResult>
  /** Outstanding `transform` calls at most. Default 16. */
  transformConcurrency?: number
  /**
   * A field, at any depth, that the table does not have, or a value its column is too narrow
   * for. `'strict'` (the default) leaves the schema as it is: such a record is refused (or its
   * unknown top-level fields dropped, see `unknownFields`). `'add-columns'` adds an optional
   * column for each new field whose type its value shows (whole numbers `long`, other numbers
   * `double`, text `string` — never a timestamp —, objects `struct`, arrays `list`; a field that
   * is only null or empty so far is left out until a value shows its type) and widens int →
   * long and float → double, in a schema commit, then validates the record again; a value that
   * still does not fit (text in a long column) is refused, naming the field.
   */
  schemaEvolution?: 'strict' | 'add-columns'
  /**
   * With `schemaEvolution: 'strict'`, a top-level field the table does not have:
   * `'dead-letter'` (the default) refuses the record as validation does; `'ignore'` drops the field.
   */
  unknownFields?: 'dead-letter' | 'ignore'
  /** When to commit. */
  commit?: CommitTriggers
  /** Where refused records go. */
  deadLetter?: DeadLetterOptions
  /** A record value larger than this many bytes is refused (stage `size`). Default 8 MiB. */
  maxRecordBytes?: number
  /**
   * Memory the buffered rows may hold before fetching pauses until a commit frees some: their
   * estimated heap (column slots, boxed values such as bigints, and strings). Default 64 MiB;
   * more makes fewer, larger commits while a backlog is read, and a higher peak RSS.
   */
  maxBufferedBytes?: number
  /** Retries of a commit that fails with a retryable error (storage, broker) before it is tried again later. Default 6. */
  commitRetries?: number
  /** kafkajs consumer settings the worker passes through; kafkajs's defaults unless said otherwise. */
  consumer?: {
    sessionTimeout?: number
    rebalanceTimeout?: number
    heartbeatInterval?: number
    /**
     * The most bytes one fetch returns for a partition. Default 4 MiB ({@link DEFAULT_FETCH_BYTES_PER_PARTITION}),
     * not kafkajs's 1 MiB: kafkajs asks for the next fetch only once a batch is handled, so the
     * worker waits for each round trip, and larger fetches make fewer of them.
     */
    maxBytesPerPartition?: number
    maxBytes?: number
    maxWaitTimeInMs?: number
  }
  /**
   * What fetches the records. `'lake'`, the default where it can be used: Lake's own fetch path
   * (Fetch requests and record decoding of its own, about four times faster than kafkajs's in
   * `pnpm bench ingest-fetch`), while kafkajs's consumer keeps only the group membership.
   * `'kafkajs'`: kafkajs's consumer fetches too, through `eachBatch`. Lake's path connects by
   * itself, in plain TCP or with `ssl`, so it needs `kafka` as a configuration with a list of
   * `brokers` and neither `sasl` nor `socketFactory` (a `Kafka` client keeps its settings to
   * itself); otherwise the worker fetches with kafkajs, and asking for `'lake'` is an error.
   */
  fetchPath?: 'lake' | 'kafkajs'
  /** How partitions are given up in a rebalance. */
  revocation?: RevocationOptions
  /** Where a partition without offsets in the table starts: `'earliest'` (default) or `'latest'`. */
  startFrom?: 'earliest' | 'latest'
  /** Metrics and logs. */
  hooks?: Partial<LakeHooks>
  /** Stop gracefully on SIGTERM and SIGINT (one-line opt-in). Default false. */
  handleSignals?: boolean
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function')
const positive = z.number().int().positive()

const schema = z
  .object({
    kafka: z.union([
      z.instanceof(Kafka),
      z.looseObject({ brokers: z.union([z.array(z.string()).min(1), fn]) }),
    ]),
    groupId: z.string().min(1),
    topics: z.array(z.string().min(1)).min(1),
    catalog: z.custom<Catalog>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Catalog).loadTable === 'function',
      'expected a Catalog',
    ),
    table: z.string().min(1).optional(),
    route: z
      .object({
        tables: z.record(z.string(), z.string().min(1)).refine((t) => Object.keys(t).length > 0, 'no tables'),
        by: z.union([z.string().min(1), fn]),
      })
      .optional(),
    decode: z
      .union([
        z.literal('json'),
        z.literal('raw'),
        fn,
        z.object({
          avro: z.union([z.string(), z.array(z.unknown()), z.looseObject({ type: z.string() })]),
          confluent: z.boolean().optional(),
        }),
      ])
      .optional(),
    metadataColumns: z
      .object({
        topic: z.string().min(1).optional(),
        partition: z.string().min(1).optional(),
        offset: z.string().min(1).optional(),
        timestamp: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
        headers: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    transform: fn.optional(),
    transformConcurrency: positive.optional(),
    schemaEvolution: z.enum(['strict', 'add-columns']).optional(),
    unknownFields: z.enum(['dead-letter', 'ignore']).optional(),
    commit: z
      .object({ intervalMs: positive.optional(), rows: positive.optional(), bytes: positive.optional() })
      .strict()
      .optional(),
    deadLetter: z
      .object({
        topic: z.string().min(1).optional(),
        mode: z.enum(['dead-letter', 'skip', 'fail']).optional(),
      })
      .strict()
      .refine((d) => d.mode !== 'dead-letter' || d.topic !== undefined, "mode 'dead-letter' needs a topic")
      .optional(),
    maxRecordBytes: positive.optional(),
    maxBufferedBytes: positive.optional(),
    commitRetries: z.number().int().nonnegative().optional(),
    consumer: z
      .object({
        sessionTimeout: positive.optional(),
        rebalanceTimeout: positive.optional(),
        heartbeatInterval: positive.optional(),
        maxBytesPerPartition: positive.optional(),
        maxBytes: positive.optional(),
        maxWaitTimeInMs: positive.optional(),
      })
      .strict()
      .optional(),
    fetchPath: z.enum(['lake', 'kafkajs']).optional(),
    revocation: z.object({ budgetMs: z.number().int().nonnegative().optional() }).strict().optional(),
    startFrom: z.enum(['earliest', 'latest']).optional(),
    hooks: z.record(z.string(), z.unknown()).optional(),
    handleSignals: z.boolean().optional(),
  })
  .strict()
  .refine(
    (o) => (o.table === undefined) !== (o.route === undefined),
    'give exactly one of `table` and `route`',
  )
  .refine((o) => o.schemaEvolution !== 'add-columns' || o.unknownFields === undefined, {
    message: "applies only with schemaEvolution 'strict': 'add-columns' adds the fields instead",
    path: ['unknownFields'],
  })
  .refine(
    (o) =>
      o.revocation?.budgetMs === undefined ||
      o.revocation.budgetMs < (o.consumer?.rebalanceTimeout ?? KAFKAJS_REBALANCE_TIMEOUT_MS),
    {
      message: 'must be less than consumer.rebalanceTimeout (60 000 by default)',
      path: ['revocation', 'budgetMs'],
    },
  )
  .refine((o) => o.fetchPath !== 'lake' || lakeFetchConfig(o.kafka as Kafka | KafkaConfig) !== undefined, {
    message:
      'Lake fetches only given `kafka` as a configuration with a list of brokers, without sasl or socketFactory',
    path: ['fetchPath'],
  })
  .transform((o) => ({
    ...o,
    revocation: { budgetMs: o.revocation?.budgetMs ?? defaultRevocationBudgetMs(o.consumer) },
  }))

/**
 * The configuration Lake's own fetch path connects with, or undefined where it cannot (a
 * `Kafka` client, a function for brokers, SASL, a socket factory of the application's).
 */
export function lakeFetchConfig(
  kafka: Kafka | KafkaConfig,
): (KafkaConfig & { brokers: string[] }) | undefined {
  if (kafka instanceof Kafka || !Array.isArray(kafka.brokers) || kafka.sasl || kafka.socketFactory)
    return undefined
  return kafka as KafkaConfig & { brokers: string[] }
}

/** Checks the options at the boundary; a mistake is a `ValidationError` naming the option. */
export function parseWorkerOptions(
  options: IngestWorkerOptions,
): IngestWorkerOptions & { revocation: Required<RevocationOptions> } {
  const result = schema.safeParse(options)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const path = issue.path.join('.')
    throw new ValidationError(`Ingest worker options: ${path ? `${path}: ` : ''}${issue.message}`, {
      context: { field: path || 'options' },
    })
  }
  // Functions and class instances are passed on as given, not as zod's copies; defaults are filled.
  return { ...options, revocation: result.data.revocation }
}
