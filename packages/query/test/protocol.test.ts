import { isLakeError, type LakeHooks } from '@lake/errors'
import { afterEach, describe, expect, it } from 'vitest'
import { createTrinoClient, QueryCancelledError, type QueryStats } from '../src/index.js'
import { HttpTransport } from '../src/internal/http.js'
import { type FakeQuery, FakeTrino } from './fake-trino.js'

const pages = (count: number, rowsPerPage: number): string[][] =>
  Array.from({ length: count }, (_, p) =>
    Array.from({ length: rowsPerPage }, (_, r) => `[${p * rowsPerPage + r}, "${'x'.repeat(r % 5)}"]`),
  )

const twoColumns = (pageCount = 3, rowsPerPage = 4): FakeQuery => ({
  columns: [
    { name: 'n', type: 'bigint' },
    { name: 's', type: 'varchar' },
  ],
  pages: pages(pageCount, rowsPerPage),
})

let fake: FakeTrino | undefined
afterEach(async () => {
  await fake?.stop()
  fake = undefined
})

async function serve(query: FakeQuery | ((sql: string) => FakeQuery)) {
  fake = await new FakeTrino(typeof query === 'function' ? query : () => query).start()
  return fake
}

/** Waits until `condition` holds (the server sees requests a little after the client sends them). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}

const fastRetry = { retries: 3, minDelayMs: 1, maxDelayMs: 5 }

describe('the statement protocol', () => {
  it('streams pages as re-chunked batches, in order, and submits once', async () => {
    const server = await serve(twoColumns(3, 4))
    const client = createTrinoClient({ server: server.url, user: 'u', batchRows: 5 })
    const result = client.query('SELECT n, s FROM t')
    const batches = []
    for await (const batch of result) batches.push(batch)
    expect(batches.map((b) => b.numRows)).toEqual([5, 5, 2])
    expect(batches.flatMap((b) => [...b.getChild('n')!])).toEqual(
      Array.from({ length: 12 }, (_, i) => BigInt(i)),
    )
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect(result.queryId).toBe('q1')
    expect(result.stats?.state).toBe('FINISHED')
    client.close()
  })

  it('exposes the schema before the first row, without losing the rows that came with it', async () => {
    const server = await serve({ ...twoColumns(2, 3), emptyPolls: 2 })
    const client = createTrinoClient({ server: server.url, user: 'u' })
    const result = client.query('SELECT 1')
    const schema = await result.schema()
    expect(schema.fields.map((f) => f.name)).toEqual(['n', 's'])
    let rows = 0
    for await (const batch of result) rows += batch.numRows
    expect(rows).toBe(6)
    client.close()
  })

  it('reads rows that arrive before their columns in a response', async () => {
    const server = await serve({ ...twoColumns(2, 3), dataFirst: true })
    const client = createTrinoClient({ server: server.url, user: 'u', batchRows: 4 })
    const batches = []
    for await (const batch of client.query('SELECT n, s FROM t')) batches.push(batch)
    expect(batches.map((b) => b.numRows)).toEqual([4, 2])
    expect(batches.flatMap((b) => [...b.getChild('s')!])).toEqual(['', 'x', 'xx', '', 'x', 'xx'])
    expect(batches.flatMap((b) => [...b.getChild('n')!])).toEqual([0n, 1n, 2n, 3n, 4n, 5n])
    client.close()
  })

  it('reads at most one page ahead of the consumer', async () => {
    const server = await serve(twoColumns(10, 4))
    const client = createTrinoClient({ server: server.url, user: 'u', batchRows: 4 })
    const iterator = client.query('SELECT 1')[Symbol.asyncIterator]()
    await iterator.next()
    await until(() => server.gets().length >= 2)
    await new Promise((resolve) => setTimeout(resolve, 50))
    // The first page (GET 1) and the one read ahead (GET 2); nothing more while the consumer waits.
    expect(server.gets().map((r) => r.url)).toEqual(['/v1/statement/q1/1', '/v1/statement/q1/2'])
    await iterator.next()
    await until(() => server.gets().length >= 3)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.gets()).toHaveLength(3)
    await iterator.return?.()
    client.close()
  })

  it('retries a page after 503, 502, a dropped connection and a body cut short', async () => {
    const server = await serve(twoColumns(4, 2))
    server.faults.push(
      { method: 'GET', page: 2, fault: '503' },
      { method: 'GET', page: 2, fault: 'drop' },
      { method: 'GET', page: 3, fault: '502' },
      { method: 'GET', page: 4, fault: 'drop-mid-body' },
    )
    const failed: string[] = []
    const hooks: Partial<LakeHooks> = { counter: (name) => void failed.push(name) }
    const client = createTrinoClient({ server: server.url, user: 'u', retry: fastRetry, hooks })
    const table = await client.queryTable('SELECT 1')
    expect([...table.getChild('n')!]).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(i)))
    expect(server.faults).toHaveLength(0)
    expect(failed.filter((n) => n === 'lake.retry.attempt_failed')).toHaveLength(4)
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    client.close()
  })

  it('never re-submits a statement whose connection dropped after it was sent', async () => {
    const server = await serve(twoColumns())
    server.faults.push({ method: 'POST', fault: 'drop' })
    const client = createTrinoClient({ server: server.url, user: 'u', retry: fastRetry })
    const error = await client.queryTable('INSERT INTO t VALUES (1)').catch((e: unknown) => e)
    expect(isLakeError(error) && error.code).toBe('LAKE_QUERY')
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    client.close()
  })

  it('does not retry a 503 to the statement, and gives up on pages after the retries', async () => {
    const server = await serve(twoColumns())
    server.faults.push({ method: 'POST', fault: '503' })
    const client = createTrinoClient({ server: server.url, user: 'u', retry: fastRetry })
    await expect(client.queryTable('SELECT 1')).rejects.toThrow(/answered 503 to the statement/)
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    for (let i = 0; i < 4; i++) server.faults.push({ method: 'GET', page: 2, fault: '503' })
    const error = await client.queryTable('SELECT 1').catch((e: unknown) => e)
    expect(error).toMatchObject({ retryable: true, context: { queryId: 'q1', status: 503 } })
    client.close()
  })

  it('cancels on the server when the consumer breaks out of the loop', async () => {
    const server = await serve(twoColumns(10, 4))
    const client = createTrinoClient({ server: server.url, user: 'u', batchRows: 4 })
    const result = client.query('SELECT 1')
    for await (const _ of result) break
    const deletes = server.requests.filter((r) => r.method === 'DELETE')
    expect(deletes).toHaveLength(1)
    expect(deletes[0]!.url).toBe('/v1/statement/q1/2')
    client.close()
  })

  it('ends with an AbortError-style QueryError and cancels on the server when the signal fires', async () => {
    const server = await serve(twoColumns(10, 4))
    const client = createTrinoClient({ server: server.url, user: 'u', batchRows: 4 })
    const controller = new AbortController()
    const result = client.query('SELECT 1', { signal: controller.signal })
    const error = await (async () => {
      for await (const _ of result) controller.abort()
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(QueryCancelledError)
    expect(error).toMatchObject({
      name: 'AbortError',
      code: 'LAKE_QUERY',
      retryable: false,
      context: { reason: 'signal' },
    })
    await until(() => server.requests.some((r) => r.method === 'DELETE'))
    expect(server.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1)
    client.close()
  })

  it('turns a Trino failure into a QueryError with its name, code, type and location', async () => {
    const server = await serve({
      ...twoColumns(),
      error: {
        message: "line 2:8: Column 'x' cannot be resolved",
        errorCode: 47,
        errorName: 'COLUMN_NOT_FOUND',
        errorType: 'USER_ERROR',
        errorLocation: { lineNumber: 2, columnNumber: 8 },
      },
    })
    const client = createTrinoClient({ server: server.url, user: 'u' })
    const error = await client.queryTable('SELECT\n  x').catch((e: unknown) => e)
    expect(error).toMatchObject({
      name: 'QueryError',
      retryable: false,
      context: {
        queryId: 'q1',
        errorName: 'COLUMN_NOT_FOUND',
        errorCode: 47,
        errorType: 'USER_ERROR',
        line: 2,
        column: 8,
      },
    })
    client.close()
  })

  it('carries the session the server sets to later requests, as Trino encodes it', async () => {
    const server = await serve(
      (sql): FakeQuery => ({
        ...twoColumns(1, 1),
        responseHeaders: sql.startsWith('USE')
          ? ({
              'X-Trino-Set-Catalog': 'lake',
              'X-Trino-Set-Schema': 'analytics',
              'X-Trino-Set-Session': 'query_max_run_time=10m',
              'X-Trino-Added-Prepare': 'p1=SELECT+%3F+%2B+1',
              'X-Trino-Started-Transaction-Id': 'tx-1',
            } as Record<string, string>)
          : { 'X-Trino-Clear-Session': 'query_max_run_time', 'X-Trino-Clear-Transaction-Id': 'true' },
      }),
    )
    const client = createTrinoClient({ server: server.url, user: 'u', sessionProperties: { a: 'x,y' } })
    await client.execute('USE lake.analytics')
    expect(client.session).toMatchObject({
      catalog: 'lake',
      schema: 'analytics',
      properties: { a: 'x,y', query_max_run_time: '10m' },
      preparedStatements: { p1: 'SELECT ? + 1' },
      transactionId: 'tx-1',
    })
    await client.execute('COMMIT')
    const commit = server.requests.filter((r) => r.method === 'POST')[1]!
    expect(commit.headers['x-trino-catalog']).toBe('lake')
    expect(commit.headers['x-trino-session']).toBe('a=x%2Cy,query_max_run_time=10m')
    expect(commit.headers['x-trino-prepared-statement']).toBe('p1=SELECT%20%3F%20%2B%201')
    expect(commit.headers['x-trino-transaction-id']).toBe('tx-1')
    expect(client.session.transactionId).toBeUndefined()
    expect(client.session.properties).toEqual({ a: 'x,y' })
    client.close()
  })

  it('binds parameters through a prepared statement and EXECUTE … USING', async () => {
    const server = await serve(twoColumns(1, 1))
    const client = createTrinoClient({ server: server.url, user: 'u' })
    await client.queryTable('SELECT * FROM t WHERE a = ? AND b = ?', { params: ["'; DROP TABLE t; --", 5n] })
    const post = server.requests.find((r) => r.method === 'POST')!
    const [name, statement] = String(post.headers['x-trino-prepared-statement']).split('=')
    expect(decodeURIComponent(statement!)).toBe('SELECT * FROM t WHERE a = ? AND b = ?')
    expect(post.body).toBe(`EXECUTE ${name} USING '''; DROP TABLE t; --', BIGINT '5'`)
    client.close()
  })

  it('reports progress after each response and metrics through the hooks', async () => {
    const server = await serve(twoColumns(3, 2))
    const metrics: string[] = []
    const client = createTrinoClient({
      server: server.url,
      user: 'u',
      hooks: { counter: (n, v) => void metrics.push(`${n}=${v}`), histogram: (n) => void metrics.push(n) },
    })
    const progress: QueryStats[] = []
    await client.queryTable('SELECT 1', { onProgress: (s) => void progress.push(s) })
    expect(progress.map((p) => p.state)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'FINISHED'])
    expect(progress.at(-1)).toMatchObject({ queryId: 'q1', progressPercentage: 100, completedSplits: 3 })
    expect(metrics).toEqual(
      expect.arrayContaining([
        'lake.query.queries=1',
        'lake.query.time_to_first_batch_ms',
        'lake.query.duration_ms',
        'lake.query.rows=6',
      ]),
    )
    client.close()
  })

  it('returns the update count of a statement', async () => {
    const server = await serve({
      columns: [{ name: 'rows', type: 'bigint' }],
      pages: [['[3]']],
      updateType: 'INSERT',
      updateCount: 3,
    })
    const client = createTrinoClient({ server: server.url, user: 'u' })
    expect(await client.execute('INSERT INTO t VALUES 1, 2, 3')).toMatchObject({
      updateType: 'INSERT',
      updateCount: 3,
    })
    client.close()
  })

  it('refuses invalid options, naming the field', () => {
    expect(() => createTrinoClient({ server: 'ftp://x', user: 'u' })).toThrow(/server/)
    expect(() => createTrinoClient({ server: 'http://x', user: '' })).toThrow(/user/)
    expect(() =>
      createTrinoClient({ server: 'http://x', user: 'u', auth: { type: 'bearer' } as never }),
    ).toThrow(/auth.token/)
    expect(() => createTrinoClient({ server: 'http://x', user: 'u', clientTags: ['a,b'] })).toThrow(/comma/)
  })

  it('sends the user, source, tags, auth and custom headers with every request', async () => {
    const server = await serve(twoColumns(2, 1))
    const client = createTrinoClient({
      server: server.url,
      user: 'u',
      source: 'app',
      clientTags: ['etl', 'nightly'],
      auth: { type: 'basic', user: 'u', password: 'p:w' },
      headers: { 'X-Request-Id': 'r1' },
    })
    await client.queryTable('SELECT 1')
    for (const r of server.requests) {
      expect(r.headers).toMatchObject({
        'x-trino-user': 'u',
        'x-trino-source': 'app',
        'x-trino-client-tags': 'etl,nightly',
        authorization: `Basic ${Buffer.from('u:p:w').toString('base64')}`,
        'x-request-id': 'r1',
      })
      expect(r.headers['x-trino-client-capabilities']).toContain('PARAMETRIC_DATETIME')
    }
    client.close()
  })

  it('leaves the headers a caller passes unchanged, so no body length leaks into the next request', async () => {
    const server = await serve(twoColumns(1, 1))
    const transport = new HttpTransport(new URL(server.url), undefined)
    const headers = { 'X-Trino-User': 'u' }
    const posted = await transport.request('POST', '/v1/statement', headers, 'SELECT 1', undefined)
    const next = (JSON.parse(posted.body.toString()) as { nextUri: string }).nextUri
    await transport.request('GET', next, headers, undefined, undefined)
    expect(server.gets()[0]!.headers['content-length']).toBeUndefined()
    expect(headers).toEqual({ 'X-Trino-User': 'u' })
    transport.close()
  })

  it('keeps bigints beyond 2^53 exact, at the top level and nested', async () => {
    const server = await serve({
      columns: [
        { name: 'n', type: 'bigint' },
        { name: 'a', type: 'array(bigint)' },
      ],
      pages: [['[1, [2]]', '[9223372036854775807, [-9223372036854775808]]'], ['[9007199254740993, []]']],
    })
    const client = createTrinoClient({ server: server.url, user: 'u' })
    const table = await client.queryTable('SELECT n, a FROM t')
    expect([...table.getChild('n')!]).toEqual([1n, 9223372036854775807n, 9007199254740993n])
    expect([...table.getChild('a')!].map((v) => (v === null ? null : [...v]))).toEqual([
      [2n],
      [-9223372036854775808n],
      [],
    ])
    await server.stop()
    // Only top-level bigints: parsed plainly, and again exactly when a value is past 2^53.
    const flat = await serve({
      columns: [{ name: 'n', type: 'bigint' }],
      pages: [['[1]', '[-9007199254740991]'], ['[9223372036854775807]'], ['[2]']],
    })
    const flatClient = createTrinoClient({ server: flat.url, user: 'u' })
    const flatTable = await flatClient.queryTable('SELECT n FROM t')
    expect([...flatTable.getChild('n')!]).toEqual([1n, -9007199254740991n, 9223372036854775807n, 2n])
    flatClient.close()
    client.close()
  })

  it('runs the next query after the server restarted while the client was idle', async () => {
    const first = await serve(twoColumns(1, 1))
    const client = createTrinoClient({ server: first.url, user: 'u' })
    await client.queryTable('SELECT 1')
    const port = Number(new URL(first.url).port)
    await first.stop()
    fake = await new FakeTrino(() => twoColumns(2, 1)).start(port)
    const table = await client.queryTable('SELECT 1')
    expect(table.numRows).toBe(2)
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    client.close()
  })
})

describe('the spooling protocol', () => {
  const spooled = (pageCount: number, rowsPerPage: number): FakeQuery => ({
    ...twoColumns(pageCount, rowsPerPage),
    spooling: true,
  })
  const segmentRequests = (server: FakeTrino, kind: 'download' | 'ack') =>
    server.gets().filter((r) => r.url.startsWith(`/v1/spooled/${kind}/`))

  it('fetches each segment with its headers, decodes its rows and then acknowledges it', async () => {
    const server = await serve(spooled(3, 4))
    const client = createTrinoClient({ server: server.url, user: 'u', batchRows: 5, encoding: 'json' })
    const batches = await client.queryTable('SELECT n, s FROM t')
    expect([...batches.getChild('n')!]).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)))
    expect(server.requests[0]!.headers['x-trino-query-data-encoding']).toBe('json')
    await until(() => segmentRequests(server, 'ack').length === 3)
    const downloads = segmentRequests(server, 'download').map((r) => r.url)
    const acks = segmentRequests(server, 'ack').map((r) => r.url)
    expect(downloads).toEqual([
      '/v1/spooled/download/q1/1',
      '/v1/spooled/download/q1/2',
      '/v1/spooled/download/q1/3',
    ])
    expect(acks).toEqual(downloads.map((url) => url.replace('download', 'ack')))
    // The client's own headers go along: the segments are on the coordinator's origin.
    expect(segmentRequests(server, 'download')[0]!.headers['x-trino-user']).toBe('u')
    client.close()
  })

  it('sends no encoding header for the direct protocol, and then reads inline rows', async () => {
    const server = await serve(spooled(2, 3))
    const client = createTrinoClient({ server: server.url, user: 'u' })
    const table = await client.queryTable('SELECT n, s FROM t')
    expect(table.numRows).toBe(6)
    expect(server.requests[0]!.headers['x-trino-query-data-encoding']).toBeUndefined()
    expect(segmentRequests(server, 'download')).toEqual([])
    client.close()
  })

  it('fetches one segment ahead of the consumer, no more', async () => {
    const server = await serve(spooled(6, 4))
    const client = createTrinoClient({ server: server.url, user: 'u', batchRows: 4, encoding: 'json' })
    const iterator = client.query('SELECT n, s FROM t')[Symbol.asyncIterator]()
    await iterator.next()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(segmentRequests(server, 'download').length).toBeLessThanOrEqual(2)
    await iterator.return?.()
    client.close()
  })

  it('retries a segment that answers 503 or drops the connection', async () => {
    const server = await serve(spooled(3, 4))
    server.faults.push(
      { method: 'GET', segment: 2, fault: '503' },
      { method: 'GET', segment: 3, fault: 'drop' },
    )
    const client = createTrinoClient({ server: server.url, user: 'u', retry: fastRetry, encoding: 'json' })
    const table = await client.queryTable('SELECT n, s FROM t')
    expect(table.numRows).toBe(12)
    expect(segmentRequests(server, 'download')).toHaveLength(5)
    client.close()
  })

  it('fails with a QueryError naming the segment when its fetch keeps failing, and cancels the query', async () => {
    const server = await serve(spooled(6, 4))
    for (let i = 0; i < 5; i++) server.faults.push({ method: 'GET', segment: 2, fault: '503' })
    const client = createTrinoClient({ server: server.url, user: 'u', retry: fastRetry, encoding: 'json' })
    const error = await client.queryTable('SELECT n, s FROM t').catch((e: unknown) => e)
    expect(isLakeError(error) && error.code).toBe('LAKE_QUERY')
    expect((error as Error).message).toContain(`${server.url}/v1/spooled/download/q1/2`)
    expect(error).toMatchObject({
      context: { segment: `${server.url}/v1/spooled/download/q1/2`, status: 503 },
    })
    await until(() => server.requests.some((r) => r.method === 'DELETE'))
    expect(server.requests.some((r) => r.method === 'DELETE')).toBe(true)
    client.close()
  })

  it('refuses an encoding it does not know', () => {
    const client = createTrinoClient({ server: 'http://127.0.0.1:1', user: 'u' })
    expect(() => client.query('SELECT 1', { encoding: 'arrow' as 'json' })).toThrow(/encoding/)
    expect(() =>
      createTrinoClient({ server: 'http://127.0.0.1:1', user: 'u', encoding: 'csv' as 'json' }),
    ).toThrow(/encoding/)
    client.close()
  })
})
