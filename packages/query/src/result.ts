import { type LakeHooks, QueryError, withRetry } from '@lake/errors'
import { type RecordBatch, type Schema, Table } from 'apache-arrow'
import type { TrinoClient } from './client.js'
import { failureError, QueryCancelledError, type TrinoFailure } from './errors.js'
import { BatchAssembler } from './internal/batches.js'
import { type HttpResponse, type HttpTransport, TransportError } from './internal/http.js'
import { parseJsonLossless, skipValue, skipWhitespace } from './internal/json.js'
import { parsePage, text } from './internal/page.js'
import { encodedQueryData, type Segment, type SpooledSegment, segmentRows } from './internal/segments.js'
import type { Session } from './internal/session.js'
import { arrowSchema, type TrinoColumn } from './types/arrow.js'
import { parseTrinoType } from './types/signature.js'

/**
 * Trino's statistics of a query, as reported with each response: what `onProgress` receives
 * while the query runs and what {@link QueryResult.stats} holds at the end.
 */
export interface QueryStats {
  /** The query id. */
  queryId: string
  /** `QUEUED`, `PLANNING`, `STARTING`, `RUNNING`, `FINISHING`, `FINISHED` or `FAILED`. */
  state: string
  queued: boolean
  scheduled: boolean
  nodes: number
  totalSplits: number
  queuedSplits: number
  runningSplits: number
  completedSplits: number
  processedRows: number
  processedBytes: number
  physicalInputBytes: number
  peakMemoryBytes: number
  cpuTimeMillis: number
  wallTimeMillis: number
  queuedTimeMillis: number
  elapsedTimeMillis: number
  /** Completed share of the query's splits, 0–100, once Trino knows it. */
  progressPercentage?: number
}

/** How one query runs. */
export interface QueryOptions {
  /** Values bound to the `?` markers of the statement, in order, through `EXECUTE … USING`. */
  params?: readonly import('./params.js').QueryParam[]
  /** Cancels the query on the server and ends the iteration with a {@link QueryCancelledError}. */
  signal?: AbortSignal
  /** Cancels the query after this many milliseconds, like `signal`. */
  timeoutMs?: number
  /** Called with Trino's statistics after each response, for a progress bar. */
  onProgress?: (stats: QueryStats) => void
  /** Rows per record batch; the client's `batchRows` by default. */
  batchRows?: number
  /** How Trino sends the rows: the client's `encoding` by default; see {@link QueryDataEncoding}. */
  encoding?: QueryDataEncoding
}

/**
 * How Trino sends a query's rows. `direct`: the direct protocol, rows inline as JSON in each
 * response, from the coordinator. `json`, `json+zstd`, `json+lz4`: the spooling protocol (Trino
 * ≥ 466 with a spooling manager) — rows in segments written by the workers, fetched by URI (or
 * inline when small) and acknowledged, `json+zstd` and `json+lz4` compressed; a server without
 * spooling answers as `direct`. `auto`: the spooling protocol in the first of `json+lz4`,
 * `json+zstd`, `json` the server has enabled.
 */
export type QueryDataEncoding = 'direct' | 'json' | 'json+zstd' | 'json+lz4' | 'auto'

/** What a client hands a {@link QueryResult}: the connection, the session, the statement. */
export interface StatementRequest {
  transport: HttpTransport
  session: Session
  /** Headers of every request (user, source, auth, client tags, capabilities, custom). */
  headers: () => Record<string, string>
  /** Extra headers of the POST only (the prepared statement of bound parameters). */
  submitHeaders: Record<string, string>
  sql: string
  /** The SQL as the caller wrote it, for errors and logs. */
  statement: string
  retry: { retries?: number; minDelayMs?: number; maxDelayMs?: number }
  hooks: LakeHooks
  batchRows: number
  options: QueryOptions
  kind: 'query' | 'execute'
  /** The `X-Trino-Query-Data-Encoding` of the POST; none for the direct protocol. */
  dataEncoding: string | undefined
}

interface QueryResults {
  id: string
  nextUri?: string
  columns?: { name: string; type: string }[]
  stats?: Partial<Omit<QueryStats, 'queryId'>>
  error?: TrinoFailure
  updateType?: string
  updateCount?: number | string
}

const CAPABILITIES = 'PATH,PARAMETRIC_DATETIME,SESSION_AUTHORIZATION'
const RETRYABLE_STATUS = new Set([502, 503, 504])

/**
 * The result of {@link TrinoClient.query}: an `AsyncIterable` of Arrow record batches, pulled
 * page by page from Trino as the consumer asks. While one page is converted and its batches
 * consumed, the next is already requested, and no further one: a consumer that stops pulling
 * holds the server to at most one page ahead.
 *
 * The statement is submitted on the first pull (`schema()` or iteration). Stopping early
 * (`break`, an AbortSignal, `timeoutMs`, `cancel()`) cancels the query on the server.
 *
 * @example
 * ```ts
 * const result = client.query('SELECT * FROM events WHERE day = ?', { params: ['2026-11-26'] })
 * const schema = await result.schema() // before any row
 * for await (const batch of result) console.log(batch.numRows)
 * console.log(result.queryId, result.stats?.processedRows)
 * ```
 */
export class QueryResult implements AsyncIterable<RecordBatch> {
  private current: QueryResults | undefined
  /** Full batches decoded and not yet yielded. */
  private pending: RecordBatch[] = []
  private columns: TrinoColumn[] | undefined
  private assembler: BatchAssembler | undefined
  private arrow: Schema | undefined
  private finished = false
  private iterated = false
  private cancelled: QueryCancelledError | undefined
  private readonly signal: AbortSignal | undefined
  private readonly started = performance.now()
  private firstBatchAt: number | undefined
  private rows = 0
  private bytes = 0
  private lastStats: QueryStats | undefined
  private submitted = false
  private prefetched: Promise<HttpResponse> | undefined
  /** Segments of the spooling protocol received and not yet decoded, in row order. */
  private segments: Segment[] = []
  private encoding = 'json'
  /** The fetch of `segments[0]`, started when the segment before it was decoded. */
  private segmentAhead: Promise<Buffer> | undefined
  private readonly onAbort = () => void this.cancelOnServer()

  /** @hidden Made by {@link TrinoClient.query}. */
  constructor(private readonly request: StatementRequest) {
    const { signal, timeoutMs } = request.options
    const signals = [signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)].filter(
      (s): s is AbortSignal => s !== undefined,
    )
    this.signal =
      signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals)
  }

  /** Trino's id of the query, once submitted. */
  get queryId(): string | undefined {
    return this.current?.id
  }

  /** Trino's latest statistics of the query; its final statistics once the iteration ended. */
  get stats(): QueryStats | undefined {
    return this.lastStats
  }

  /** For DDL and DML: the kind of update (`INSERT`, `CREATE TABLE`, …), once finished. */
  get updateType(): string | undefined {
    return this.current?.updateType
  }

  /** For DML: the number of rows inserted, updated or deleted, once finished. */
  get updateCount(): number | undefined {
    const count = this.current?.updateCount
    return count === undefined ? undefined : Number(count)
  }

  /**
   * The Arrow schema of the result, available before the first row: pulls responses until Trino
   * has described the columns, keeping any rows that came with them for the iteration.
   */
  async schema(): Promise<Schema> {
    while (this.arrow === undefined && !this.finished) await this.advance()
    if (this.arrow === undefined) this.arrow = arrowSchema([])
    return this.arrow
  }

  /** Collects every batch into one Arrow `Table`. */
  async toArrow(): Promise<Table> {
    const batches: RecordBatch[] = []
    for await (const batch of this) batches.push(batch)
    return batches.length === 0 ? new Table(await this.schema()) : new Table(batches)
  }

  /** Cancels the query on the server; the iteration ends with a {@link QueryCancelledError}. */
  async cancel(): Promise<void> {
    this.cancelled ??= new QueryCancelledError(`Query ${this.queryId ?? '(not started)'} was cancelled`, {
      context: { queryId: this.queryId, reason: 'cancel' },
    })
    await this.cancelOnServer()
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    if (this.iterated)
      throw new QueryError('A query result can be iterated only once', { context: { queryId: this.queryId } })
    this.iterated = true
    return this.batches()
  }

  private async *batches(): AsyncGenerator<RecordBatch> {
    try {
      for (;;) {
        this.throwIfCancelled()
        const batch = this.pending.shift()
        if (batch !== undefined) yield this.emit(batch)
        else if (this.segments.length > 0) await this.readSegment()
        else if (this.finished) break
        else await this.advance()
      }
      const assembler = this.assembler
      if (assembler !== undefined && assembler.buffered > 0) yield this.emit(assembler.flush())
      this.complete()
    } finally {
      this.signal?.removeEventListener('abort', this.onAbort)
      if (!this.finished) {
        // The consumer stopped early (break, return, a throw in its loop): free the server's work.
        this.cancelled ??= new QueryCancelledError(
          `Query ${this.queryId} was cancelled: the consumer stopped reading`,
          {
            context: { queryId: this.queryId, reason: 'consumer' },
          },
        )
        await this.cancelOnServer()
      }
      // Segments not read are acknowledged too, so the server drops them now, not at expiry.
      for (const segment of this.segments.splice(0)) if (segment.type === 'spooled') this.acknowledge(segment)
      this.segmentAhead = undefined
    }
  }

  private emit(batch: RecordBatch): RecordBatch {
    if (this.firstBatchAt === undefined) {
      this.firstBatchAt = performance.now()
      this.request.hooks.histogram(
        'lake.query.time_to_first_batch_ms',
        this.firstBatchAt - this.started,
        this.tags(),
      )
    }
    this.rows += batch.numRows
    return batch
  }

  private tags() {
    return { kind: this.request.kind }
  }

  /**
   * Fetches the next response and decodes its rows; the batches they filled go to `pending`.
   * Sets `finished` at the last response.
   */
  private async advance(): Promise<void> {
    this.throwIfCancelled()
    let response: HttpResponse
    try {
      if (!this.submitted) {
        this.submitted = true
        this.request.hooks.counter('lake.query.queries', 1, this.tags())
        this.signal?.addEventListener('abort', this.onAbort, { once: true })
        response = await this.submit()
      } else {
        const prefetched = this.prefetched
        this.prefetched = undefined
        response = await (prefetched ?? this.fetchPage(this.current!.nextUri!))
      }
    } catch (error) {
      throw this.fail(error)
    }
    let results: QueryResults
    try {
      this.request.session.apply(response.headers)
      results = this.parse(response)
    } catch (error) {
      throw this.fail(error)
    }
    this.current = results
    if (results.stats !== undefined) this.reportStats(results)
    if (results.error !== undefined) throw this.fail(failureError(results.error, results.id))
    this.describe(results)
    if (results.nextUri === undefined) this.finished = true
    if (this.assembler !== undefined) this.pending.push(...this.assembler.takeFull())
  }

  /** Takes the columns, the first time a response has them. */
  private describe(results: Partial<Pick<QueryResults, 'columns' | 'id'>>): void {
    if (results.columns === undefined || this.columns !== undefined) return
    this.columns = results.columns.map((c) => ({ name: c.name, type: parseTrinoType(c.type) }))
    this.arrow = arrowSchema(this.columns)
    this.assembler = new BatchAssembler(
      this.columns,
      this.request.options.batchRows ?? this.request.batchRows,
      results.id ?? this.queryId,
    )
  }

  /**
   * Reads a response's rows into the batch assembler, straight from the body's bytes. Before
   * that, the next page is requested, so it arrives while this one is decoded and consumed: one
   * page ahead, never more. Rows that come before their columns (Trino sends the columns first)
   * are decoded once the whole response is read.
   */
  private readData(
    body: Buffer,
    before: Readonly<Record<string, unknown>>,
    at: number,
    late: number[],
  ): number {
    const results = before as Partial<QueryResults>
    this.describe(results)
    if (results.nextUri !== undefined && this.prefetched === undefined) {
      this.prefetched = this.fetchPage(results.nextUri)
      this.prefetched.catch(() => {})
    }
    if (body[skipWhitespace(body, at)] === 123) {
      // The spooling protocol: `{ encoding, segments }`, decoded as the consumer pulls.
      const end = skipValue(body, at)
      const data = encodedQueryData(parseJsonLossless(text(body, at, end)), results.id ?? this.queryId)
      this.encoding = data.encoding
      this.segments.push(...data.segments)
      return end
    }
    if (this.assembler === undefined) {
      late.push(at)
      return skipValue(body, at)
    }
    return this.assembler.decodeRows(body, at)
  }

  /**
   * Decodes the next segment into the batch assembler: its bytes are inline or fetched (the
   * fetch started one segment ahead), then decompressed, decoded, and the segment acknowledged.
   * The fetch of the segment after it starts now, so one segment at most is read ahead.
   */
  private async readSegment(): Promise<void> {
    const segment = this.segments.shift()!
    let bytes: Buffer
    try {
      if (segment.type === 'inline') bytes = Buffer.from(segment.data, 'base64')
      else {
        const ahead = this.segmentAhead
        this.segmentAhead = undefined
        bytes = await (ahead ?? this.fetchSegment(segment))
      }
    } catch (error) {
      throw this.fail(error)
    }
    const next = this.segments[0]
    if (next?.type === 'spooled') {
      this.segmentAhead = this.fetchSegment(next)
      this.segmentAhead.catch(() => {})
    }
    const where = {
      queryId: this.queryId,
      segment:
        segment.type === 'spooled' ? segment.uri : `inline at row ${segment.metadata.rowOffset ?? '?'}`,
    }
    try {
      const rows = segmentRows(this.encoding, bytes, segment.metadata, where)
      const assembler = this.assembler
      if (assembler === undefined)
        throw new QueryError(`Segment ${where.segment} came before the columns`, { context: where })
      const end = skipWhitespace(rows, assembler.decodeRows(rows, 0))
      if (end !== rows.length) throw new SyntaxError(`text after the rows at byte ${end}`)
      this.pending.push(...assembler.takeFull())
    } catch (error) {
      throw this.fail(
        error instanceof SyntaxError
          ? new QueryError(
              `Segment ${where.segment} of query ${this.queryId} is not JSON rows: ${error.message}`,
              {
                cause: error,
                context: where,
              },
            )
          : error,
      )
    }
    this.request.hooks.log({
      level: 'debug',
      event: 'query.segment',
      message: `Query ${this.queryId}: ${segment.type} segment of ${segment.metadata.rowsCount ?? '?'} rows decoded`,
      fields: {
        queryId: this.queryId,
        type: segment.type,
        encoding: this.encoding,
        bytes: bytes.length,
        segment: where.segment,
      },
    })
    if (segment.type === 'spooled') this.acknowledge(segment)
  }

  /** The headers of a segment's requests: its own, and the client's when it is on the coordinator. */
  private segmentHeaders(segment: SpooledSegment, uri: string): Record<string, string> {
    const own = Object.fromEntries(Object.entries(segment.headers ?? {}).map(([k, v]) => [k, v.join(',')]))
    // A pre-signed storage URI must not get the client's credentials (nor would it accept them).
    return new URL(uri, this.request.transport.server).origin === this.request.transport.server.origin
      ? { ...this.request.headers(), ...own }
      : own
  }

  private fetchSegment(segment: SpooledSegment): Promise<Buffer> {
    const { transport, retry, hooks } = this.request
    const headers = this.segmentHeaders(segment, segment.uri)
    // A segment URI names stored bytes: fetching it again is safe.
    return withRetry(
      async () => {
        const response = await transport.request('GET', segment.uri, headers, undefined, this.signal)
        this.bytes += response.body.length
        if (response.status === 200) return response.body
        throw new QueryError(
          `Trino answered ${response.status} to segment ${segment.uri} of query ${this.queryId}: ${response.body.toString('utf8', 0, 300).trim()}`,
          {
            retryable: response.status >= 500,
            context: { queryId: this.queryId, segment: segment.uri, status: response.status },
          },
        )
      },
      { ...retry, signal: this.signal, hooks, operation: 'query.segment' },
    )
  }

  /** Tells the server a segment was read (`GET ackUri`), so it deletes it; failures are logged. */
  private acknowledge(segment: SpooledSegment): void {
    const uri = segment.ackUri
    if (uri === undefined) return
    // Not awaited: the consumer goes on meanwhile (an ack that never arrives only leaves the
    // segment to the server's expiry).
    void this.request.transport
      .request('GET', uri, this.segmentHeaders(segment, uri), undefined, AbortSignal.timeout(30_000))
      .then((response) => {
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
      })
      .catch((error: unknown) => {
        this.request.hooks.log({
          level: 'warn',
          event: 'query.segment_ack_failed',
          message: `Could not acknowledge segment ${uri} of query ${this.queryId}: ${error instanceof Error ? error.message : String(error)}`,
          fields: { queryId: this.queryId, segment: uri },
        })
      })
  }

  private headers(): Record<string, string> {
    return {
      ...this.request.session.headers(),
      'X-Trino-Client-Capabilities': CAPABILITIES,
      ...this.request.headers(),
    }
  }

  private submit(): Promise<HttpResponse> {
    const { transport, retry, hooks, sql, submitHeaders } = this.request
    const session = this.headers()
    const headers: Record<string, string> = {
      ...session,
      ...submitHeaders,
      'Content-Type': 'text/plain; charset=utf-8',
    }
    if (this.request.dataEncoding !== undefined)
      headers['X-Trino-Query-Data-Encoding'] = this.request.dataEncoding
    const ours = submitHeaders['X-Trino-Prepared-Statement']
    const theirs = session['X-Trino-Prepared-Statement']
    if (ours !== undefined && theirs !== undefined)
      headers['X-Trino-Prepared-Statement'] = `${theirs},${ours}`
    // A statement is sent again only when it provably never reached the server.
    return withRetry(
      async () =>
        this.checkStatus(await transport.request('POST', '/v1/statement', headers, sql, this.signal), false),
      {
        ...retry,
        signal: this.signal,
        hooks,
        operation: 'query.submit',
        shouldRetry: (error) => error instanceof TransportError && error.notSent,
      },
    )
  }

  private fetchPage(uri: string): Promise<HttpResponse> {
    const { transport, retry, hooks } = this.request
    // A page URI names one page (Trino's protocol token), so fetching it again is safe.
    return withRetry(
      async () =>
        this.checkStatus(await transport.request('GET', uri, this.headers(), undefined, this.signal), true),
      { ...retry, signal: this.signal, hooks, operation: 'query.page' },
    )
  }

  private checkStatus(response: HttpResponse, page: boolean): HttpResponse {
    this.bytes += response.body.length
    if (response.status === 200) return response
    const retryable = page && RETRYABLE_STATUS.has(response.status)
    throw new QueryError(
      `Trino answered ${response.status} to ${page ? 'a page request' : 'the statement'}${
        this.queryId ? ` of query ${this.queryId}` : ''
      }: ${response.body.toString('utf8', 0, 500).trim()}`,
      { retryable, context: { queryId: this.queryId, status: response.status } },
    )
  }

  private parse(response: HttpResponse): QueryResults {
    const body = response.body
    try {
      const late: number[] = []
      const results = parsePage(body, (before, at) =>
        this.readData(body, before, at, late),
      ) as unknown as QueryResults
      for (const at of late) {
        this.describe(results)
        this.assembler?.decodeRows(body, at)
      }
      return results
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error
      throw new QueryError(`Trino sent a response that is not JSON: ${body.toString('utf8', 0, 200)}`, {
        cause: error,
        context: { queryId: this.queryId },
      })
    }
  }

  private reportStats(results: QueryResults): void {
    const s = results.stats ?? {}
    const stats: QueryStats = {
      queryId: results.id,
      state: s.state ?? 'UNKNOWN',
      queued: s.queued ?? false,
      scheduled: s.scheduled ?? false,
      nodes: Number(s.nodes ?? 0),
      totalSplits: Number(s.totalSplits ?? 0),
      queuedSplits: Number(s.queuedSplits ?? 0),
      runningSplits: Number(s.runningSplits ?? 0),
      completedSplits: Number(s.completedSplits ?? 0),
      processedRows: Number(s.processedRows ?? 0),
      processedBytes: Number(s.processedBytes ?? 0),
      physicalInputBytes: Number(s.physicalInputBytes ?? 0),
      peakMemoryBytes: Number(s.peakMemoryBytes ?? 0),
      cpuTimeMillis: Number(s.cpuTimeMillis ?? 0),
      wallTimeMillis: Number(s.wallTimeMillis ?? 0),
      queuedTimeMillis: Number(s.queuedTimeMillis ?? 0),
      elapsedTimeMillis: Number(s.elapsedTimeMillis ?? 0),
    }
    if (s.progressPercentage !== undefined) stats.progressPercentage = Number(s.progressPercentage)
    this.lastStats = stats
    this.request.options.onProgress?.(stats)
  }

  private complete(): void {
    this.signal?.removeEventListener('abort', this.onAbort)
    const { hooks } = this.request
    const tags = this.tags()
    hooks.histogram('lake.query.duration_ms', performance.now() - this.started, tags)
    hooks.counter('lake.query.rows', this.rows, tags)
    hooks.counter('lake.query.bytes', this.bytes, tags)
    hooks.log({
      level: 'debug',
      event: 'query.finished',
      message: `Query ${this.queryId} finished: ${this.rows} rows`,
      fields: { queryId: this.queryId, rows: this.rows, bytes: this.bytes, state: this.lastStats?.state },
    })
  }

  private throwIfCancelled(): void {
    if (this.cancelled !== undefined) throw this.cancelled
    if (this.signal?.aborted) throw this.abortError()
  }

  private abortError(): QueryCancelledError {
    const reason = this.signal?.reason
    const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError'
    this.cancelled ??= new QueryCancelledError(
      `Query ${this.queryId ?? '(not started)'} was cancelled: ${timedOut ? `timed out after ${this.request.options.timeoutMs} ms` : 'aborted'}`,
      { cause: reason, context: { queryId: this.queryId, reason: timedOut ? 'timeout' : 'signal' } },
    )
    return this.cancelled
  }

  /** Turns any failure into the error the iteration ends with, and reports it. */
  private fail(error: unknown): unknown {
    this.finished = true
    this.signal?.removeEventListener('abort', this.onAbort)
    let final = error
    if (this.signal?.aborted || this.cancelled !== undefined) final = this.cancelled ?? this.abortError()
    else if (error instanceof Error && error.name === 'AbortError' && !(error instanceof QueryError))
      final = this.abortError()
    // The query may still run on the server (a page fetch gave up): stop it.
    void this.cancelOnServer()
    const { hooks } = this.request
    const cancelled = final instanceof QueryCancelledError
    hooks.counter(cancelled ? 'lake.query.cancelled' : 'lake.query.failures', 1, {
      ...this.tags(),
      ...(final instanceof QueryError && typeof final.context.errorType === 'string'
        ? { errorType: final.context.errorType }
        : {}),
    })
    hooks.log({
      level: cancelled ? 'info' : 'warn',
      event: cancelled ? 'query.cancelled' : 'query.failed',
      message: final instanceof Error ? final.message : String(final),
      fields: { queryId: this.queryId, error: final },
    })
    return final
  }

  private cancelling: Promise<void> | undefined

  /** `DELETE` on the query's next URI, once; failures are logged, not thrown. */
  private cancelOnServer(): Promise<void> {
    const uri = this.current?.nextUri
    if (uri === undefined || this.cancelling !== undefined) return this.cancelling ?? Promise.resolve()
    this.finished = true
    this.cancelling = this.request.transport
      .request('DELETE', uri, this.headers(), undefined, AbortSignal.timeout(10_000))
      .then(
        () => undefined,
        (error: unknown) => {
          this.request.hooks.log({
            level: 'warn',
            event: 'query.cancel_failed',
            message: `Could not cancel query ${this.queryId}: ${error instanceof Error ? error.message : String(error)}`,
            fields: { queryId: this.queryId },
          })
        },
      )
    return this.cancelling
  }
}
