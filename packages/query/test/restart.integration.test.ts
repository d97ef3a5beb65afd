// A restart of the dev stack's real Trino while a client is idle: the client's kept-alive
// connections die with the old server, and its next query must still run. This file stops and
// starts Trino; integration files run one at a time (fileParallelism false), so no other test
// sees it down.

import { startTrino, stopTrino, trinoEndpoint } from '@lake/stack/trino'
import { afterAll, describe, expect, it } from 'vitest'
import { createTrinoClient } from '../src/index.js'
import { rowsOf } from './arrow-values.js'

const trinoAt = trinoEndpoint()
const quiet = () => {}

afterAll(async () => {
  // Whatever happened above, the next file finds Trino up.
  await startTrino(process.env, quiet)
})

describe('a Trino restart while the client is idle', () => {
  it('runs the next query from the same client on the restarted server', async () => {
    const client = createTrinoClient({ server: trinoAt.url, user: 'lake', source: 'lake-query-it-restart' })
    try {
      const before = client.query('SELECT count(*) AS n FROM tpch.tiny.nation')
      expect(rowsOf(await before.toArrow())).toEqual([{ n: 25n }])
      const firstId = before.queryId!

      expect(await stopTrino(process.env, quiet)).toBe(true)
      await startTrino(process.env, quiet)

      const after = client.query('SELECT count(*) AS n FROM tpch.tiny.nation')
      expect(rowsOf(await after.toArrow())).toEqual([{ n: 25n }])
      // A new server: it has never heard of the query run before the restart.
      const known = await client.queryTable(
        'SELECT count(*) AS n FROM system.runtime.queries WHERE query_id = ?',
        {
          params: [firstId],
        },
      )
      expect(rowsOf(known)).toEqual([{ n: 0n }])
      expect(after.queryId).not.toBe(firstId)
    } finally {
      client.close()
    }
  })
})
