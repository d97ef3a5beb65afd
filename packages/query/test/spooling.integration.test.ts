// @lake/query over Trino's spooling protocol, against the real Trino of the dev stack (whose
// spooling manager writes segments to the stack's S3 store): every encoding brings the same
// values as the direct protocol, for every type and for a 1M-row result, through inline and
// spooled segments; segments are acknowledged; cancellation mid-stream reaches the server.

import { createHash } from 'node:crypto'
import type { LogEvent } from '@lake/errors'
import { trinoEndpoint } from '@lake/stack/trino'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createTrinoClient,
  QueryCancelledError,
  type QueryDataEncoding,
  type QueryResult,
} from '../src/index.js'
import { rowsOf } from './arrow-values.js'

const trinoAt = trinoEndpoint()
const events: LogEvent[] = []
const client = createTrinoClient({
  server: trinoAt.url,
  user: 'lake',
  source: 'lake-query-spooling-it',
  hooks: { log: (event) => void events.push(event) },
})
afterAll(() => client.close())

const SPOOLED: QueryDataEncoding[] = ['json', 'json+zstd', 'json+lz4', 'auto']

/** The segments decoded for a query, as the client logged them. */
const segmentsOf = (queryId: string | undefined) =>
  events.filter((e) => e.event === 'query.segment' && e.fields?.queryId === queryId).map((e) => e.fields!)

/**
 * Every Trino type, as literals (the type matrix of query.integration.test.ts), `n` times, with
 * `pad` more characters per row. Trino inlines segments up to a few MB (in segments that double
 * from 128 KB), so only a result of tens of MB reaches spooled segments.
 */
const matrix = (n: number, pad = 0) => `SELECT x, rpad('', ${pad}, 'z') AS pad,
  true AS bool, CAST(NULL AS boolean) AS bool_null, TINYINT '-128' AS ti, SMALLINT '32767' AS si,
  INTEGER '-2147483648' AS i, BIGINT '9223372036854775807' AS bi_max, BIGINT '9007199254740993' AS bi_2p53,
  REAL '3.4028235e38' AS r, nan() AS dnan, -infinity() AS dninf, DOUBLE '4.9e-324' AS dmin,
  DECIMAL '-12345678901234567890.123456789012345678' AS d38s18, DECIMAL '0.01' AS d2,
  'héllo 😀 "quoted" \\ back' AS vc, CAST('ab' AS char(4)) AS ch, X'00ff10' AS vb,
  DATE '0001-01-01' AS dt_min, TIME '23:59:59.999999999' AS t9, TIME '23:59:59.999999999999' AS t12,
  TIME '01:02:03.456 -08:00' AS ttz, TIMESTAMP '1969-12-31 23:59:59.999999' AS ts6,
  TIMESTAMP '2001-08-22 03:04:05.321987654321' AS ts12, TIMESTAMP '2001-08-22 03:04:05.321987 UTC' AS tstz_utc,
  TIMESTAMP '2001-08-22 03:04:05.321987 America/Los_Angeles' AS tstz_zone,
  INTERVAL '-2 03:04:05.678' DAY TO SECOND AS ids, INTERVAL '-1-2' YEAR TO MONTH AS iym,
  ARRAY[BIGINT '9223372036854775807', NULL] AS arr, MAP(ARRAY['a', 'b'], ARRAY[ROW(1, ARRAY[1.5e0]), NULL]) AS mp,
  CAST(ROW(ROW(BIGINT '1', 'x'), ARRAY[DATE '2020-02-29']) AS ROW(head ROW(id BIGINT, name VARCHAR), days ARRAY(DATE))) AS nested,
  JSON '{"a":[1,2]}' AS js, UUID '12151fd2-7586-11e9-8f9e-2a86e4085a59' AS u, IPADDRESS '2001:db8::1' AS ip, NULL AS n
FROM UNNEST(sequence(1, ${n})) t(x)`

const fields = (result: Awaited<ReturnType<typeof client.queryTable>>) =>
  result.schema.fields.map((f) => `${f.name}: ${f.type} ${JSON.stringify([...f.metadata])}`)

describe('the spooling protocol', () => {
  it('brings every Trino type as the direct protocol does, in every encoding (an inline segment)', async () => {
    const direct = await client.queryTable(matrix(1), { encoding: 'direct' })
    for (const encoding of SPOOLED) {
      const result = client.query(matrix(1), { encoding })
      const table = await result.toArrow()
      expect(fields(table), encoding).toEqual(fields(direct))
      expect(rowsOf(table), encoding).toEqual(rowsOf(direct))
      expect(segmentsOf(result.queryId).map((s) => s.type)).toEqual(['inline'])
    }
  })

  it('brings every Trino type as the direct protocol does, in every encoding (spooled segments)', async () => {
    const byX = (table: Awaited<ReturnType<typeof client.queryTable>>) =>
      rowsOf(table).sort((a, b) => Number(a.x) - Number(b.x))
    const direct = byX(await client.queryTable(matrix(8000, 3000), { encoding: 'direct' }))
    for (const encoding of SPOOLED) {
      const result = client.query(matrix(8000, 3000), { encoding, batchRows: 3000 })
      const table = await result.toArrow()
      expect(table.numRows).toBe(8000)
      expect(byX(table), encoding).toEqual(direct)
      const segments = segmentsOf(result.queryId)
      expect(
        segments.some((s) => s.type === 'spooled'),
        encoding,
      ).toBe(true)
      const expected = encoding === 'auto' ? 'json+lz4' : encoding
      expect(new Set(segments.map((s) => s.encoding)), encoding).toEqual(new Set([expected]))
    }
  })

  it('streams 1M rows with the same values as the direct protocol, in every encoding', async () => {
    const sql = `SELECT a * 1000 + b AS n, rpad(CAST(b AS varchar), 40, 'x') AS s, CAST(b AS double) / 7 AS d,
              CAST(b AS decimal(12, 2)) AS dec, date_add('day', b, DATE '2020-01-01') AS dt,
              from_unixtime(a * 1000 + b) AS ts, b % 2 = 0 AS flag, CAST(a AS integer) AS i
       FROM UNNEST(sequence(0, 999)) x(a) CROSS JOIN UNNEST(sequence(0, 999)) y(b)`
    const direct = await digest(client.query(sql, { encoding: 'direct' }))
    expect(direct.rows).toBe(1_000_000)
    for (const encoding of ['json', 'json+zstd', 'json+lz4'] as const) {
      const result = client.query(sql, { encoding })
      expect(await digest(result), encoding).toEqual(direct)
      expect(result.stats?.state).toBe('FINISHED')
      expect(segmentsOf(result.queryId).filter((s) => s.type === 'spooled').length).toBeGreaterThan(3)
    }
  })

  it('cancels on the server when the loop breaks mid-stream, acknowledging the segments it did not read', async () => {
    const endless =
      'SELECT a, b, c FROM UNNEST(sequence(1, 1000)) x(a) CROSS JOIN UNNEST(sequence(1, 1000)) y(b) CROSS JOIN UNNEST(sequence(1, 1000)) z(c)'
    const result = client.query(endless, { encoding: 'json+lz4', batchRows: 1000 })
    let batches = 0
    for await (const _ of result) if (++batches === 200) break
    expect(segmentsOf(result.queryId).some((s) => s.type === 'spooled')).toBe(true)
    let row: Record<string, unknown> | undefined
    for (let attempt = 0; attempt < 100 && row?.state !== 'FAILED'; attempt++) {
      ;[row] = rowsOf(
        await client.queryTable('SELECT state, error_code FROM system.runtime.queries WHERE query_id = ?', {
          params: [result.queryId!],
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(row).toEqual({ state: 'FAILED', error_code: 'USER_CANCELED' })
    // The segments it did not read are acknowledged too (not awaited by the loop).
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(
      events.filter((e) => e.event === 'query.segment_ack_failed' && e.fields?.queryId === result.queryId),
    ).toEqual([])
  })

  it('ends with a QueryCancelledError when the signal fires while segments are read', async () => {
    const controller = new AbortController()
    const result = client.query(matrix(8000, 3000), {
      encoding: 'json+zstd',
      batchRows: 500,
      signal: controller.signal,
    })
    const error = await (async () => {
      for await (const _ of result) controller.abort()
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(QueryCancelledError)
    expect(error).toMatchObject({ context: { reason: 'signal', queryId: result.queryId } })
  })
})

/** Row count and an order-independent digest of the rows' values (the sum of a hash per row). */
async function digest(result: QueryResult): Promise<{ rows: number; sum: bigint }> {
  let rows = 0
  let sum = 0n
  for await (const batch of result) {
    const columns = batch.schema.fields.map((_, c) => batch.getChildAt(c)!)
    for (let r = 0; r < batch.numRows; r++) {
      const text = columns.map((column) => String(column.get(r))).join('\u0001')
      sum += BigInt(`0x${createHash('sha1').update(text).digest('hex').slice(0, 12)}`)
    }
    rows += batch.numRows
  }
  return { rows, sum }
}
