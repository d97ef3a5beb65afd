// @lake/query against the real Trino of the dev stack (`pnpm stack up`): every Trino type from
// literals and from a Lake-written Iceberg table, a 1M-row stream in bounded memory,
// cancellation seen by the server, errors, parameters and concurrent queries.

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { col, defineSchema, HadoopCatalog, ResolvingFileIO, WebHdfsFileIO } from '@lake/catalog'
import { isLakeError } from '@lake/errors'
import { hdfsEndpoints } from '@lake/stack/hdfs'
import { restEndpoint } from '@lake/stack/rest'
import { trinoEndpoint } from '@lake/stack/trino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTrinoClient, QueryCancelledError, type TrinoClient } from '../src/index.js'
import { rowsOf } from './arrow-values.js'
import { injectionCorpus } from './injection-corpus.js'

const trinoAt = trinoEndpoint()
const RUN = `q_it_${Date.now().toString(36)}_${process.pid}`
let client: TrinoClient

const connect = (options: { catalog?: string; schema?: string } = {}) =>
  createTrinoClient({ server: trinoAt.url, user: 'lake', source: 'lake-query-it', ...options })

beforeAll(async () => {
  client = connect()
  try {
    await client.queryTable('SELECT 1')
  } catch (error) {
    throw new Error(
      `Trino is not up at ${trinoAt.url} (${(error as Error).message}). Run \`pnpm stack up\` first.`,
    )
  }
})

afterAll(() => client?.close())

/** The server's view of a query, once it reached a final state. */
async function serverState(queryId: string): Promise<{ state: string; error_code: string | null }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [row] = rowsOf(
      await client.queryTable('SELECT state, error_code FROM system.runtime.queries WHERE query_id = ?', {
        params: [queryId],
      }),
    ) as { state: string; error_code: string | null }[]
    if (row !== undefined && ['FINISHED', 'FAILED'].includes(row.state)) return row
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`query ${queryId} did not end`)
}

/** 1000³ rows: more than any test reads, so only cancellation ends it. */
const ENDLESS =
  'SELECT a, b, c FROM UNNEST(sequence(1, 1000)) x(a) CROSS JOIN UNNEST(sequence(1, 1000)) y(b) CROSS JOIN UNNEST(sequence(1, 1000)) z(c)'

describe('Trino types to Arrow, from literals', () => {
  it('brings every Trino type exactly', async () => {
    const table = await client.queryTable(`SELECT
      true AS bool, CAST(NULL AS boolean) AS bool_null,
      TINYINT '-128' AS ti, SMALLINT '32767' AS si, INTEGER '-2147483648' AS i,
      BIGINT '9223372036854775807' AS bi_max, BIGINT '-9223372036854775808' AS bi_min, BIGINT '9007199254740993' AS bi_2p53,
      REAL '3.4028235e38' AS r, CAST(nan() AS real) AS rnan,
      nan() AS dnan, infinity() AS dinf, -infinity() AS dninf, DOUBLE '1.7976931348623157e308' AS dmax, DOUBLE '4.9e-324' AS dmin,
      DECIMAL '99999999999999999999999999999999999999' AS d38, DECIMAL '-12345678901234567890.123456789012345678' AS d38s18, DECIMAL '0.01' AS d2,
      'héllo 😀' AS vc, CAST('ab' AS char(4)) AS ch, X'00ff10' AS vb,
      DATE '0001-01-01' AS dt_min, DATE '9999-12-31' AS dt_max,
      TIME '23:59:59' AS t0, TIME '23:59:59.999' AS t3, TIME '23:59:59.999999' AS t6, TIME '23:59:59.999999999' AS t9, TIME '23:59:59.999999999999' AS t12,
      TIME '01:02:03.456 -08:00' AS ttz,
      TIMESTAMP '2001-08-22 03:04:05' AS ts0, TIMESTAMP '2001-08-22 03:04:05.321' AS ts3, TIMESTAMP '1969-12-31 23:59:59.999999' AS ts6,
      TIMESTAMP '2262-04-11 23:47:16.854775807' AS ts9, TIMESTAMP '2001-08-22 03:04:05.321987654321' AS ts12,
      TIMESTAMP '2001-08-22 03:04:05.321987 UTC' AS tstz_utc, TIMESTAMP '2001-08-22 03:04:05.321987 +05:30' AS tstz_off,
      TIMESTAMP '2001-08-22 03:04:05.321987 America/Los_Angeles' AS tstz_zone,
      INTERVAL '-2 03:04:05.678' DAY TO SECOND AS ids, INTERVAL '-1-2' YEAR TO MONTH AS iym,
      ARRAY[BIGINT '9223372036854775807', NULL] AS arr,
      MAP(ARRAY['a', 'b'], ARRAY[ROW(1, ARRAY[1.5e0]), NULL]) AS mp,
      MAP(ARRAY[BIGINT '9223372036854775807'], ARRAY['max']) AS mp_bigkey,
      CAST(ROW(ROW(BIGINT '1', 'x'), ARRAY[DATE '2020-02-29']) AS ROW(head ROW(id BIGINT, name VARCHAR), days ARRAY(DATE))) AS nested,
      JSON '{"a":[1,2]}' AS js, UUID '12151fd2-7586-11e9-8f9e-2a86e4085a59' AS u, IPADDRESS '2001:db8::1' AS ip, NULL AS n,
      approx_set(1) AS hll`)
    const [row] = rowsOf(table)
    expect(row).toEqual({
      bool: true,
      bool_null: null,
      ti: -128,
      si: 32767,
      i: -2147483648,
      bi_max: 9223372036854775807n,
      bi_min: -9223372036854775808n,
      bi_2p53: 9007199254740993n,
      r: Math.fround(3.4028235e38),
      rnan: Number.NaN,
      dnan: Number.NaN,
      dinf: Number.POSITIVE_INFINITY,
      dninf: Number.NEGATIVE_INFINITY,
      dmax: 1.7976931348623157e308,
      dmin: 5e-324,
      d38: 10n ** 38n - 1n,
      d38s18: -12345678901234567890123456789012345678n,
      d2: 1n,
      vc: 'héllo 😀',
      ch: 'ab  ',
      vb: '00ff10',
      dt_min: -719162,
      dt_max: 2932896,
      t0: 86399,
      t3: 86399999,
      t6: 86399999999n,
      t9: 86399999999999n,
      t12: '23:59:59.999999999999',
      ttz: { time: 3723456, offset_minutes: -480 },
      ts0: 998449445n,
      ts3: 998449445321n,
      ts6: -1n,
      ts9: 9223372036854775807n,
      ts12: '2001-08-22 03:04:05.321987654321',
      tstz_utc: { timestamp: 998449445321987n, zone: 'UTC' },
      tstz_off: { timestamp: 998449445321987n - 19_800_000_000n, zone: '+05:30' },
      tstz_zone: { timestamp: 998449445321987n + 25_200_000_000n, zone: 'America/Los_Angeles' },
      ids: -183845678n,
      iym: -14,
      arr: [9223372036854775807n, null],
      mp: [
        ['a', { field0: 1, field1: [1.5] }],
        ['b', null],
      ],
      mp_bigkey: [[9223372036854775807n, 'max']],
      nested: { head: { id: 1n, name: 'x' }, days: [18321] },
      js: '{"a":[1,2]}',
      u: '12151fd2758611e98f9e2a86e4085a59',
      ip: '2001:db8::1',
      n: null,
      hll: expect.any(String),
    })
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]))
    expect(types).toMatchObject({
      bi_max: 'Int64',
      d38s18: 'Decimal[38e+18]',
      t0: 'Time32<SECOND>',
      t9: 'Time64<NANOSECOND>',
      ts3: 'Timestamp<MILLISECOND>',
      ts9: 'Timestamp<NANOSECOND>',
      ts12: 'Utf8',
      ids: 'Duration<MILLISECOND>',
      n: 'Null',
    })
    const trinoTypes = Object.fromEntries(
      table.schema.fields.map((f) => [f.name, f.metadata.get('trino.type')]),
    )
    expect(trinoTypes).toMatchObject({
      hll: 'HyperLogLog',
      ip: 'ipaddress',
      tstz_zone: 'timestamp(6) with time zone',
    })
  })
})

describe('Trino types to Arrow, from a Lake-written Iceberg table', () => {
  const rest = restEndpoint()
  const io = new WebHdfsFileIO({ namenodes: [hdfsEndpoints().namenodeHttp], user: 'lake' })
  const catalog = new HadoopCatalog({
    warehouse: rest.warehouse,
    io: new ResolvingFileIO({ hdfs: () => io }),
  })

  afterAll(async () => {
    for (const id of await catalog.listTables(RUN).catch(() => [])) {
      await catalog.dropTable(id, { purge: true }).catch(() => {})
    }
    await io.delete(`${rest.warehouse}/${RUN}`, { recursive: true }).catch(() => {})
  })

  it('reads every Iceberg type that Lake wrote exactly', async () => {
    const schema = defineSchema({
      id: col.long().required(),
      b: col.boolean(),
      i: col.int(),
      l: col.long(),
      f: col.float(),
      d: col.double(),
      dec: col.decimal(38, 10),
      small: col.decimal(9, 2),
      dt: col.date(),
      t: col.time(),
      ts: col.timestamp(),
      tstz: col.timestamptz(),
      s: col.string(),
      u: col.uuid(),
      fx: col.fixed(3),
      bin: col.binary(),
      st: col.struct({ x: col.int(), y: col.string().required() }),
      li: col.list(col.long()),
      mp: col.map(col.string().required(), col.long()),
    })
    await catalog.createNamespace(RUN)
    const table = await catalog.createTable(`${RUN}.all_types`, { schema })
    await table.append([
      {
        id: 1n,
        b: true,
        i: -2147483648,
        l: 9223372036854775807n,
        f: 3.4028234663852886e38,
        d: -1.7976931348623157e308,
        dec: '-9999999999999999999999999999.9999999999',
        small: '1234567.89',
        dt: '0001-01-01',
        t: '23:59:59.999999',
        ts: 9223372036854775n,
        tstz: -1n,
        s: 'héllo 😀',
        u: '12151fd2-7586-11e9-8f9e-2a86e4085a59',
        fx: new Uint8Array([0, 1, 255]),
        bin: new Uint8Array([]),
        st: { x: 1, y: 'y' },
        li: [9223372036854775807n, null],
        mp: new Map([['k', -9223372036854775808n]]),
      },
      {
        id: 2n,
        b: null,
        i: null,
        l: null,
        f: null,
        d: null,
        dec: null,
        small: null,
        dt: null,
        t: null,
        ts: null,
        tstz: null,
        s: null,
        u: null,
        fx: null,
        bin: null,
        st: null,
        li: null,
        mp: null,
      },
    ])
    const result = await client.queryTable(`SELECT * FROM lake.${RUN}.all_types ORDER BY id`)
    expect(rowsOf(result)).toEqual([
      {
        id: 1n,
        b: true,
        i: -2147483648,
        l: 9223372036854775807n,
        f: Math.fround(3.4028234663852886e38),
        d: -1.7976931348623157e308,
        dec: -99999999999999999999999999999999999999n,
        small: 123456789n,
        dt: -719162,
        t: 86399999999n,
        ts: 9223372036854775n,
        tstz: { timestamp: -1n, zone: 'UTC' },
        s: 'héllo 😀',
        u: '12151fd2758611e98f9e2a86e4085a59',
        fx: '0001ff',
        bin: '',
        st: { x: 1, y: 'y' },
        li: [9223372036854775807n, null],
        mp: [['k', -9223372036854775808n]],
      },
      { id: 2n, ...Object.fromEntries(schema.schema.fields.slice(1).map((f) => [f.name, null])) },
    ])
    const types = Object.fromEntries(result.schema.fields.map((f) => [f.name, f.metadata.get('trino.type')]))
    expect(types).toMatchObject({
      t: 'time(6)',
      ts: 'timestamp(6)',
      tstz: 'timestamp(6) with time zone',
      dec: 'decimal(38, 10)',
    })
  })
})

describe('streaming', () => {
  it('streams 1M rows × 8 columns exactly with memory bounded by a few batches', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const measure = () => {
      gc()
      const m = process.memoryUsage()
      return m.heapUsed + m.arrayBuffers
    }
    const baseline = measure()
    let peak = 0
    let rows = 0
    let sum = 0n
    let batches = 0
    const result = client.query(
      `SELECT a * 1000 + b AS n, rpad(CAST(b AS varchar), 100, 'x') AS s, CAST(b AS double) / 7 AS d,
              CAST(b AS decimal(12, 2)) AS dec, date_add('day', b, DATE '2020-01-01') AS dt,
              from_unixtime(a * 1000 + b) AS ts, b % 2 = 0 AS flag, CAST(a AS integer) AS i
       FROM UNNEST(sequence(0, 999)) x(a) CROSS JOIN UNNEST(sequence(0, 999)) y(b)`,
      { batchRows: 32_768 },
    )
    for await (const batch of result) {
      rows += batch.numRows
      const n = batch.getChild('n')!.data[0]!.values as BigInt64Array
      for (const v of n) sum += v
      batches += 1
      if (batches % 4 === 0) peak = Math.max(peak, measure() - baseline)
    }
    expect(rows).toBe(1_000_000)
    expect(sum).toBe(499_999_500_000n)
    expect(result.stats?.state).toBe('FINISHED')
    // All rows held at once would be over 100 MiB for the strings alone.
    expect(peak).toBeLessThan(64 * 1024 * 1024)
  })
})

describe('cancellation', () => {
  it('cancels on the server when the signal fires mid-stream', async () => {
    const controller = new AbortController()
    const result = client.query(ENDLESS, { signal: controller.signal })
    const error = await (async () => {
      for await (const _ of result) controller.abort()
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(QueryCancelledError)
    expect(error).toMatchObject({
      name: 'AbortError',
      context: { reason: 'signal', queryId: result.queryId },
    })
    expect(await serverState(result.queryId!)).toEqual({ state: 'FAILED', error_code: 'USER_CANCELED' })
  })

  it('cancels on the server when the loop breaks', async () => {
    const result = client.query(ENDLESS)
    for await (const _ of result) break
    expect(await serverState(result.queryId!)).toEqual({ state: 'FAILED', error_code: 'USER_CANCELED' })
  })

  it('cancels on the server when the timeout passes', async () => {
    const result = client.query(ENDLESS, { timeoutMs: 1_000 })
    const error = await result.toArrow().catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'AbortError', context: { reason: 'timeout' } })
    expect(await serverState(result.queryId!)).toEqual({ state: 'FAILED', error_code: 'USER_CANCELED' })
  })
})

describe('errors', () => {
  it('reports a syntax error with its name, code, type, line and column', async () => {
    const error = await client.queryTable('SELECT 1\nFROM WHERE x').catch((e: unknown) => e)
    expect(isLakeError(error)).toBe(true)
    expect(error).toMatchObject({
      name: 'QueryError',
      code: 'LAKE_QUERY',
      retryable: false,
      context: { errorName: 'SYNTAX_ERROR', errorCode: 1, errorType: 'USER_ERROR', line: 2, column: 6 },
    })
    expect((error as { context: { queryId: string } }).context.queryId).toMatch(/^\d{8}_\d{6}_\d+_\w+$/)
  })

  it('reports a permission error, and keeps the session as it was', async () => {
    const alice = createTrinoClient({ server: trinoAt.url, user: 'alice' })
    try {
      await expect(alice.execute('SET SESSION AUTHORIZATION bob')).rejects.toMatchObject({
        name: 'QueryError',
        retryable: false,
        context: { errorName: 'PERMISSION_DENIED', errorType: 'USER_ERROR' },
      })
      expect(alice.session.authorizationUser).toBeUndefined()
    } finally {
      alice.close()
    }
  })

  it('reports a missing table and a write the catalog refuses', async () => {
    await expect(client.queryTable('SELECT * FROM tpch.tiny.no_such_table')).rejects.toMatchObject({
      context: { errorName: 'TABLE_NOT_FOUND', errorType: 'USER_ERROR', line: 1, column: 15 },
    })
    await expect(client.execute("INSERT INTO tpch.tiny.region VALUES (9, 'X', 'y')")).rejects.toMatchObject({
      context: { errorName: 'NOT_SUPPORTED', errorType: 'USER_ERROR' },
    })
  })
})

describe('parameters', () => {
  it('binds every corpus string inertly: each comes back as itself', async () => {
    await client.execute(`CREATE TABLE memory.default.${RUN}_victims AS SELECT 'a' AS name`)
    try {
      for (const text of injectionCorpus) {
        const [row] = rowsOf(
          await client.queryTable('SELECT ? AS v, length(?) AS n', { params: [text, text] }),
        )
        expect(row).toEqual({ v: text, n: BigInt([...text].length) })
      }
      const [count] = rowsOf(
        await client.queryTable(`SELECT count(*) AS n FROM memory.default.${RUN}_victims WHERE name = ?`, {
          params: [`'; DROP TABLE memory.default.${RUN}_victims; --`],
        }),
      )
      expect(count).toEqual({ n: 0n })
      const [still] = rowsOf(
        await client.queryTable(`SELECT count(*) AS n FROM memory.default.${RUN}_victims`),
      )
      expect(still).toEqual({ n: 1n })
    } finally {
      await client.execute(`DROP TABLE IF EXISTS memory.default.${RUN}_victims`)
    }
  })

  it('binds every parameter type exactly', async () => {
    const bytes = new Uint8Array([0, 39, 255])
    const table = await client.queryTable(
      'SELECT ? AS big, typeof(?) AS big_type, ? AS n, ? AS d, ? AS ts, ? AS b, ? AS bytes, ? AS arr, ? AS nul, ? AS t',
      {
        params: [
          9223372036854775807n,
          9223372036854775807n,
          42,
          0.1,
          new Date('2026-11-26T01:02:03.456Z'),
          true,
          bytes,
          [1n, null, -1n],
          null,
          'héllo',
        ],
      },
    )
    expect(rowsOf(table)).toEqual([
      {
        big: 9223372036854775807n,
        big_type: 'bigint',
        n: 42,
        d: 0.1,
        ts: { timestamp: BigInt(Date.parse('2026-11-26T01:02:03.456Z')), zone: 'UTC' },
        b: true,
        bytes: '0027ff',
        arr: [1n, null, -1n],
        nul: null,
        t: 'héllo',
      },
    ])
  })
})

describe('session state', () => {
  it('carries USE, SET SESSION, PREPARE and transactions to later requests', async () => {
    const session = connect()
    try {
      await session.execute('USE tpch.tiny')
      expect(rowsOf(await session.queryTable('SELECT count(*) AS n FROM nation'))).toEqual([{ n: 25n }])
      await session.execute("SET SESSION query_max_run_time = '7m'")
      const shown = rowsOf(await session.queryTable("SHOW SESSION LIKE 'query_max_run_time'"))
      expect(shown[0]).toMatchObject({ Value: '7m' })
      await session.execute('RESET SESSION query_max_run_time')
      expect(session.session.properties).toEqual({})
      await session.execute('PREPARE by_key FROM SELECT name FROM nation WHERE nationkey = ?')
      expect(rowsOf(await session.queryTable('EXECUTE by_key USING 2'))).toEqual([{ name: 'BRAZIL' }])
      await session.execute('DEALLOCATE PREPARE by_key')
      expect(session.session.preparedStatements).toEqual({})
      await session.execute('START TRANSACTION')
      expect(session.session.transactionId).toBeDefined()
      expect(rowsOf(await session.queryTable('SELECT count(*) AS n FROM region'))).toEqual([{ n: 5n }])
      await session.execute('COMMIT')
      expect(session.session.transactionId).toBeUndefined()
    } finally {
      session.close()
    }
  })

  it('runs concurrent queries from one client, each with its own exact result', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        client.queryTable(
          'SELECT ? + x AS v FROM UNNEST(sequence(1, 10000)) t(x) CROSS JOIN UNNEST(sequence(0, 1)) u(y)',
          { params: [BigInt(k) * 10n ** 15n] },
        ),
      ),
    )
    results.forEach((table, k) => {
      const values = rowsOf(table).map((r) => r.v as bigint)
      expect(values).toHaveLength(20_000)
      expect(values.reduce((a, b) => a + b, 0n)).toBe(BigInt(k) * 10n ** 15n * 20_000n + 100_010_000n)
    })
  })
})
