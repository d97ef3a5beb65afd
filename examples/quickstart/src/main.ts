/**
 * Lake's main job on embedded defaults: a warehouse on local disk, a day-partitioned events
 * table, several appends, a schema change, and a filtered scan that prints its rows and what
 * the planner pruned. Run with `pnpm quickstart`.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, col, defineSchema, eq, gtEq, HadoopCatalog, type InferRow, Types } from '@lake/catalog'

const Event = defineSchema(
  {
    id: col.long().required(),
    ts: col.timestamptz().required(),
    kind: col.string().required(),
    user_id: col.string(),
    amount: col.decimal(10, 2),
  },
  { identifierFields: ['id'] },
)
type Event = InferRow<typeof Event>

const KINDS = ['view', 'click', 'purchase'] as const
const DAY_MS = 86_400_000
const START = Date.UTC(2026, 10, 20)

/** Deterministic events: `count` of them on day `day` after the start. */
function eventsOfDay(day: number, count: number, firstId: number): Event[] {
  return Array.from({ length: count }, (_, i) => {
    const id = firstId + i
    return {
      id: BigInt(id),
      ts: new Date(START + day * DAY_MS + ((i * 7919) % DAY_MS)),
      kind: KINDS[id % KINDS.length]!,
      user_id: `user-${id % 17}`,
      amount: id % 3 === 2 ? `${(id % 1000) / 10}` : null,
    }
  })
}

export async function main(warehouse: string, log: (line: string) => void = console.log): Promise<void> {
  const catalog = new HadoopCatalog({ warehouse })
  await catalog.createNamespace('analytics')
  const table = await catalog.createTable('analytics.events', {
    schema: Event,
    partitionBy: [{ source: 'ts', transform: 'day' }],
  })
  log(`created ${table.name} at ${table.location}`)

  const perDay = 2_000
  for (let day = 0; day < 5; day++) {
    await table.append(eventsOfDay(day, perDay, day * perDay))
    log(`appended ${perDay} events for day ${day + 1} (snapshot ${table.currentSnapshot()?.snapshotId})`)
  }

  await table.updateSchema().addColumn('country', Types.string, { doc: 'ISO 3166 code' }).commit()
  const withCountry = eventsOfDay(5, perDay, 5 * perDay).map((e, i) => ({
    ...e,
    country: i % 2 ? 'DE' : 'FR',
  }))
  await table.append(withCountry)
  log(
    `evolved the schema (schema ${table.schema().schemaId}: ${table
      .schema()
      .fields.map((f) => f.name)
      .join(', ')})`,
  )

  const scan = table.scan({
    filter: and(gtEq('ts', new Date(START + 4 * DAY_MS)), eq('kind', 'purchase')),
    columns: ['id', 'ts', 'kind', 'amount', 'country'],
  })
  const plan = await scan.planFiles()
  const allFiles = (await table.scan().planFiles()).tasks.length
  log(`planned ${plan.tasks.length} of ${allFiles} data files; pruned ${allFiles - plan.tasks.length}`)

  let rows = 0
  for await (const batch of scan.batches()) {
    if (rows === 0) for (const row of batch.toArray().slice(0, 5)) log(`  ${formatRow(row.toJSON())}`)
    rows += batch.numRows
  }
  log(`scan returned ${rows} purchase events from the last two days`)
  log(`history: ${table.history().map((h) => h.snapshotId).length} snapshots`)
}

/** One row for the console: Arrow gives timestamps as epoch milliseconds and decimals unscaled. */
function formatRow(row: Record<string, unknown>): string {
  const { id, ts, kind, amount, country } = row
  const cents = amount === null ? null : BigInt(String(amount))
  const price = cents === null ? 'null' : `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`
  return `id=${id} ts=${new Date(Number(ts)).toISOString()} kind=${kind} amount=${price} country=${country}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const warehouse = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'lake-quickstart-')))
  const started = performance.now()
  console.log(`warehouse: ${warehouse}`)
  await main(warehouse)
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  console.log(
    `the warehouse is kept: Iceberg Java, Spark or PyIceberg can read ${warehouse}/analytics/events`,
  )
}
