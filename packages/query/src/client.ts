import { randomUUID } from 'node:crypto'
import { resolveHooks, ValidationError } from '@lake/errors'
import type { Table } from 'apache-arrow'
import { HttpTransport } from './internal/http.js'
import { ENCODINGS } from './internal/segments.js'
import { Session, type SessionState } from './internal/session.js'
import { encodingSchema, parseOptions, type TrinoClientOptions } from './options.js'
import { encodeLiteral } from './params.js'
import { type QueryDataEncoding, type QueryOptions, QueryResult, type QueryStats } from './result.js'

/** What {@link TrinoClient.execute} returns. */
export interface ExecuteResult {
  /** Trino's id of the query. */
  queryId: string | undefined
  /** The kind of statement, e.g. `INSERT`, `CREATE TABLE`, `SET SESSION`. */
  updateType: string | undefined
  /** Rows inserted, updated or deleted, for DML. */
  updateCount: number | undefined
  /** Trino's final statistics. */
  stats: QueryStats | undefined
}

/** A Trino client; see {@link createTrinoClient}. */
export interface TrinoClient {
  /**
   * Runs a query; its rows stream as Arrow record batches, fetched as the consumer pulls.
   * Nothing is sent until the first pull.
   */
  query(sql: string, options?: QueryOptions): QueryResult
  /** Runs a query and collects its rows into one Arrow `Table`. */
  queryTable(sql: string, options?: QueryOptions): Promise<Table>
  /** Runs a statement (DDL, DML, SET SESSION, …) to the end; returns its update type and count. */
  execute(sql: string, options?: QueryOptions): Promise<ExecuteResult>
  /**
   * The session this client carries: catalog, schema, path, properties, roles, prepared
   * statements and the open transaction, as the server last set them.
   */
  readonly session: SessionState
  /** Closes idle connections. */
  close(): void
}

/**
 * The `X-Trino-Query-Data-Encoding` header of an encoding, none for the direct protocol.
 *
 * @throws ValidationError when it is no {@link QueryDataEncoding}
 */
function dataEncoding(encoding: QueryDataEncoding): string | undefined {
  const checked = encodingSchema.safeParse(encoding)
  if (!checked.success)
    throw new ValidationError(`Invalid query option encoding: ${JSON.stringify(encoding)}`, {
      cause: checked.error,
      context: { field: 'encoding' },
    })
  if (checked.data === 'direct') return undefined
  return checked.data === 'auto' ? ENCODINGS.join(',') : checked.data
}

/**
 * Creates a client of a Trino coordinator. Results stream as Apache Arrow record batches with
 * exact values (a bigint of 2^63−1 arrives exact; decimals as Decimal128; timestamps at the unit
 * their precision needs); parameters are bound server-side; cancellation reaches the server.
 *
 * @example
 * ```ts
 * const trino = createTrinoClient({ server: 'http://127.0.0.1:8080', user: 'lake', catalog: 'lake', schema: 'analytics' })
 * for await (const batch of trino.query('SELECT kind, count(*) AS n FROM events WHERE ts > ? GROUP BY kind', {
 *   params: [new Date('2026-11-01T00:00:00Z')],
 *   timeoutMs: 60_000,
 * })) {
 *   console.log(batch.toArray())
 * }
 * const { updateCount } = await trino.execute('DELETE FROM events WHERE kind = ?', { params: ['test'] })
 * ```
 *
 * @throws ValidationError when an option is invalid
 */
export function createTrinoClient(options: TrinoClientOptions): TrinoClient {
  const o = parseOptions(options)
  const server = new URL(o.server)
  const transport = new HttpTransport(server, o.tls)
  const hooks = resolveHooks(o.hooks)
  const initial: SessionState = {
    properties: Object.fromEntries(Object.entries(o.sessionProperties ?? {}).map(([k, v]) => [k, String(v)])),
    roles: {},
    preparedStatements: {},
  }
  if (o.catalog !== undefined) initial.catalog = o.catalog
  if (o.schema !== undefined) initial.schema = o.schema
  if (o.path !== undefined) initial.path = o.path
  if (o.timeZone !== undefined) initial.timeZone = o.timeZone
  const session = new Session(initial)

  const fixed: Record<string, string> = {
    'X-Trino-User': o.user,
    'X-Trino-Source': o.source ?? 'lake',
    'User-Agent': 'lake-query',
  }
  if (o.clientTags !== undefined && o.clientTags.length > 0)
    fixed['X-Trino-Client-Tags'] = o.clientTags.join(',')
  if (o.auth?.type === 'basic') {
    fixed.Authorization = `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64')}`
  } else if (o.auth?.type === 'bearer') {
    fixed.Authorization = `Bearer ${o.auth.token}`
  }
  Object.assign(fixed, o.headers ?? {})

  const start = (sql: string, queryOptions: QueryOptions, kind: 'query' | 'execute'): QueryResult => {
    const params = queryOptions.params
    const encoding = dataEncoding(queryOptions.encoding ?? o.encoding ?? 'direct')
    let text = sql
    const submitHeaders: Record<string, string> = {}
    if (params !== undefined && params.length > 0) {
      // The statement is prepared by the server from its own text; only literals travel in USING.
      const name = `lake_${randomUUID().replaceAll('-', '')}`
      submitHeaders['X-Trino-Prepared-Statement'] = `${name}=${encodeURIComponent(sql)}`
      text = `EXECUTE ${name} USING ${params.map((p, i) => encodeLiteral(p, `params[${i}]`)).join(', ')}`
    }
    return new QueryResult({
      transport,
      session,
      headers: () => fixed,
      submitHeaders,
      sql: text,
      statement: sql,
      retry: o.retry ?? {},
      hooks,
      batchRows: o.batchRows ?? 65_536,
      options: queryOptions,
      kind,
      dataEncoding: encoding,
    })
  }

  return {
    query: (sql, queryOptions = {}) => start(sql, queryOptions, 'query'),
    queryTable: (sql, queryOptions = {}) => start(sql, queryOptions, 'query').toArrow(),
    async execute(sql, queryOptions = {}) {
      const result = start(sql, queryOptions, 'execute')
      for await (const _ of result) {
        // Rows of a statement run for its effect are read and dropped.
      }
      return {
        queryId: result.queryId,
        updateType: result.updateType,
        updateCount: result.updateCount,
        stats: result.stats,
      }
    },
    get session() {
      return session.snapshot()
    },
    close: () => transport.close(),
  }
}
