// Trino over Lake's tables on HDFS, through Lake's Iceberg REST catalog endpoint: what Lake
// writes Trino reads exactly (data, schema, snapshots, files), what Trino writes Lake reads
// exactly, and both appending to one table at once lose no commit. Needs `pnpm stack up`.
import {
  col,
  defineSchema,
  eq,
  HadoopCatalog,
  type IcebergType,
  ResolvingFileIO,
  type Schema,
  Types,
  WebHdfsFileIO,
} from '@lake/catalog'
import {
  allTypes,
  allTypesRows,
  type CanonicalRow,
  type CanonicalValue,
  canonicalRowsFromArrow,
  lakeRows,
  sortRows,
} from '@lake/interop'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hdfsEndpoints } from '../src/hdfs.mjs'
import { restEndpoint } from '../src/rest.mjs'
import { runQuery, trinoEndpoint } from '../src/trino.mjs'

const rest = restEndpoint()
const trinoAt = trinoEndpoint()
const io = new WebHdfsFileIO({ namenodes: [hdfsEndpoints().namenodeHttp], user: 'lake' })
const catalog = new HadoopCatalog({ warehouse: rest.warehouse, io: new ResolvingFileIO({ hdfs: () => io }) })
const NS = `trino_it_${Date.now().toString(36)}_${process.pid}`

const trino = (sql: string) => runQuery(trinoAt, sql, 120_000) as Promise<unknown[][]>

beforeAll(async () => {
  try {
    await trino('SELECT 1')
  } catch (error) {
    throw new Error(
      `Trino is not up at ${trinoAt.url} (${(error as Error).message}). Run \`pnpm stack up\` first.`,
    )
  }
  await catalog.createNamespace(NS)
})

afterAll(async () => {
  for (const id of await catalog.listTables(NS)) await catalog.dropTable(id, { purge: true }).catch(() => {})
  await io.delete(`${rest.warehouse}/${NS}`, { recursive: true }).catch(() => {})
})

// ------------------------------------------------------------------------------ Trino → canonical

/** The select-list item that brings a column out of Trino without loss (longs as text). */
function trinoColumn(name: string, type: IcebergType): string {
  const quoted = `"${name}"`
  switch (type.kind) {
    case 'long':
      return `CAST(${quoted} AS varchar)`
    case 'timestamptz':
      return `to_iso8601(${quoted})`
    case 'timestamp':
    case 'time':
      return `CAST(${quoted} AS varchar)`
    case 'list':
      return type.element.kind === 'long' ? `CAST(${quoted} AS array(varchar))` : quoted
    default:
      return quoted
  }
}

/** A value of Trino's client protocol (JSON) in the interop harnesses' canonical form. */
function canonical(type: IcebergType, value: unknown): CanonicalValue {
  if (value === null || value === undefined) return null
  switch (type.kind) {
    case 'float':
    case 'double': {
      if (typeof value === 'string') return value // NaN, Infinity, -Infinity
      return type.kind === 'float' ? Math.fround(value as number) : (value as number)
    }
    case 'long':
      return String(value)
    case 'timestamp':
      return (value as string).replace(' ', 'T')
    case 'timestamptz':
      return value as string
    case 'fixed':
    case 'binary':
      return Buffer.from(value as string, 'base64').toString('hex')
    case 'struct': {
      const values = value as unknown[]
      return Object.fromEntries(type.fields.map((field, i) => [field.name, canonical(field.type, values[i])]))
    }
    case 'list':
      return (value as unknown[]).map((element) => canonical(type.element, element))
    case 'map': {
      const pairs = Object.entries(value as Record<string, unknown>).map(
        ([key, v]) => [canonical(type.key, key), canonical(type.value, v)] as CanonicalValue[],
      )
      return pairs.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1))
    }
    default:
      return value as CanonicalValue
  }
}

/** `SELECT *` of a table through Trino, in canonical form and canonical order. */
async function trinoRows(table: string, schema: Schema, where = ''): Promise<CanonicalRow[]> {
  const list = schema.fields.map((field) => trinoColumn(field.name, field.type)).join(', ')
  const rows = await trino(`SELECT ${list} FROM lake.${NS}.${table} ${where}`)
  return sortRows(
    rows.map((row) => Object.fromEntries(schema.fields.map((f, i) => [f.name, canonical(f.type, row[i])]))),
  )
}

/** A scan with Lake, in canonical form. */
async function lakeCanonical(table: string): Promise<CanonicalRow[]> {
  const scan = (await catalog.loadTable(`${NS}.${table}`)).scan()
  return canonicalRowsFromArrow(await scan.toArrow(), scan.schema())
}

// ------------------------------------------------------------------------------------- data

// ------------------------------------------------------------------------------------- tests

describe('Trino reads what Lake writes', () => {
  it('sees every type exactly, partitioned by day and bucket, after schema evolution and a delete', async () => {
    const table = await catalog.createTable(`${NS}.every_type`, {
      schema: allTypes,
      partitionBy: [
        { source: 'ts', transform: 'day' },
        { source: 'id', transform: 'bucket[8]' },
      ],
    })
    const first = allTypesRows(0, 1, 12)
    const second = allTypesRows(1, 101, 12)
    await table.append(lakeRows(allTypes.schema, first))
    await table.append(lakeRows(allTypes.schema, second))
    await table.updateSchema().renameColumn('s', 'label').addColumn('note', Types.string).commit()
    const evolvedSchema = (await table.refresh()).schema()
    const third: CanonicalRow[] = allTypesRows(2, 201, 6).map(({ s, ...rest }) => ({
      ...rest,
      label: s ?? null,
      note: 'added',
    }))
    await table.append(lakeRows(evolvedSchema, third))
    // Delete one whole day (metadata only) and one row inside a file (a rewrite).
    await table.delete(eq('id', 103n))
    const afterDelete = await catalog.loadTable(`${NS}.every_type`)
    const expected: CanonicalRow[] = sortRows([
      ...[...first, ...second]
        .filter((row) => row.id !== '103')
        .map(({ s, ...rest }) => ({ ...rest, label: s ?? null, note: null })),
      ...third,
    ])

    // Lake itself reads what it wrote; Trino must read exactly the same.
    expect(await lakeCanonical('every_type')).toEqual(expected)
    expect(await trinoRows('every_type', afterDelete.schema())).toEqual(expected)

    const schemas = (await trino('SHOW SCHEMAS FROM lake')).map((r) => r[0])
    expect(schemas).toContain(NS)
    const tables = (await trino(`SHOW TABLES FROM lake.${NS}`)).map((r) => r[0])
    expect(tables).toContain('every_type')
    const described = await trino(`DESCRIBE lake.${NS}.every_type`)
    expect(described.map((r) => [r[0], r[1]])).toEqual([
      ['id', 'bigint'],
      ['ts', 'timestamp(6) with time zone'],
      ['b', 'boolean'],
      ['i', 'integer'],
      ['f', 'real'],
      ['d', 'double'],
      ['dec', 'decimal(38,10)'],
      ['small', 'decimal(9,2)'],
      ['dt', 'date'],
      ['t', 'time(6)'],
      ['tsl', 'timestamp(6)'],
      ['label', 'varchar'],
      ['u', 'uuid'],
      ['fx', 'varbinary'],
      ['bin', 'varbinary'],
      ['st', 'row(x integer, y varchar)'],
      ['li', 'array(bigint)'],
      ['mp', 'map(varchar, double)'],
      ['note', 'varchar'],
    ])

    // Filters: on the partition source, on a bucketed column, on a renamed and an added column.
    const day2 = expected.filter((row) => (row.ts as string).startsWith('2026-01-02'))
    expect(
      await trinoRows(
        'every_type',
        afterDelete.schema(),
        "WHERE ts >= TIMESTAMP '2026-01-02 00:00:00 UTC' AND ts < TIMESTAMP '2026-01-03 00:00:00 UTC'",
      ),
    ).toEqual(day2)
    expect(await trinoRows('every_type', afterDelete.schema(), 'WHERE id = 105')).toEqual(
      expected.filter((row) => row.id === '105'),
    )
    expect(await trinoRows('every_type', afterDelete.schema(), "WHERE label = 'row 102'")).toEqual(
      expected.filter((row) => row.label === 'row 102'),
    )
    expect(await trinoRows('every_type', afterDelete.schema(), "WHERE note = 'added'")).toEqual(
      sortRows(third),
    )
    expect(await trinoRows('every_type', afterDelete.schema(), 'WHERE id = 9007199254740994')).toEqual(
      expected.filter((row) => row.id === '9007199254740994'),
    )

    // Metadata tables: the snapshots Lake committed, the files its current snapshot holds.
    const snapshots = await trino(
      `SELECT CAST(snapshot_id AS varchar), CAST(parent_id AS varchar), operation FROM lake.${NS}."every_type$snapshots" ORDER BY committed_at`,
    )
    expect(snapshots).toEqual(
      afterDelete
        .snapshots()
        .map((s) => [
          String(s.snapshotId),
          s.parentSnapshotId === undefined ? null : String(s.parentSnapshotId),
          s.summary.operation,
        ]),
    )
    const files = await trino(
      `SELECT file_path, CAST(record_count AS varchar), file_size_in_bytes FROM lake.${NS}."every_type$files"`,
    )
    const planned = await afterDelete.scan().planFiles()
    expect(files.map((f) => [f[0], f[1], f[2]]).sort()).toEqual(
      planned.tasks
        .map(({ dataFile }) => [
          dataFile.filePath,
          String(dataFile.recordCount),
          Number(dataFile.fileSizeInBytes),
        ])
        .sort(),
    )
  })
})

describe('Lake reads what Trino writes', () => {
  it('reads a CREATE TABLE AS, then INSERTs and a row-level DELETE, exactly', async () => {
    await trino(`CREATE TABLE lake.${NS}.from_trino WITH (partitioning = ARRAY['day(ts)', 'bucket(id, 4)']) AS
      SELECT CAST(id AS bigint) AS id,
             from_iso8601_timestamp_nanos('2026-02-0' || CAST(1 + id % 3 AS varchar) || 'T10:00:00.123456Z') AS ts,
             'name ' || CAST(id AS varchar) AS name,
             CAST(id AS decimal(12, 2)) / 4 AS amount,
             ARRAY[CAST(id AS bigint) * 1000000000000] AS big,
             CAST(ROW(id % 2 = 0, CAST(id AS double) / 8) AS ROW(even boolean, eighth double)) AS info
      FROM UNNEST(sequence(1, 40)) AS n(id)`)
    await trino(`INSERT INTO lake.${NS}.from_trino VALUES
      (9223372036854775807, TIMESTAMP '2026-02-04 00:00:00.000001 UTC', 'max', DECIMAL '-0.01', ARRAY[BIGINT '-9223372036854775808'], ROW(false, nan()))`)
    await trino(`DELETE FROM lake.${NS}.from_trino WHERE id % 10 = 3`)

    const table = await catalog.loadTable(`${NS}.from_trino`)
    const schema = table.schema()
    expect(schema.fields.map((f) => `${f.name}:${JSON.stringify(f.type)}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^id:/), expect.stringMatching(/^info:/)]),
    )
    const lake = await lakeCanonical('from_trino')
    const viaTrino = await trinoRows('from_trino', schema)
    expect(lake).toHaveLength(37)
    expect(lake).toEqual(viaTrino)
    expect(lake.find((row) => row.id === '9223372036854775807')).toEqual({
      id: '9223372036854775807',
      ts: '2026-02-04T00:00:00.000001Z',
      name: 'max',
      amount: '-0.01',
      big: ['-9223372036854775808'],
      info: { even: false, eighth: 'NaN' },
    })
    expect(lake.some((row) => row.id === '13')).toBe(false)
    // Trino's DELETE wrote position delete files (merge-on-read), which Lake applied above.
    const deleteFiles = await trino(`SELECT count(*) FROM lake.${NS}."from_trino$files" WHERE content = 1`)
    expect(deleteFiles[0]![0]).toBeGreaterThan(0)
    // Lake sees Trino's snapshots as Trino does.
    const snapshots = await trino(
      `SELECT CAST(snapshot_id AS varchar) FROM lake.${NS}."from_trino$snapshots" ORDER BY committed_at`,
    )
    expect(table.snapshots().map((s) => String(s.snapshotId))).toEqual(snapshots.map((r) => r[0]))
  })
})

describe('Lake and Trino appending to one table at once', () => {
  it('lose no commit', async () => {
    const schema = defineSchema({ id: col.long().required(), writer: col.string().required() })
    // Both writers retry a lost race as the table says (Iceberg's property, which Trino's
    // Iceberg library and Lake both read); four retries, the default, can run out when the
    // other writer commits in a tight loop.
    await catalog.createTable(`${NS}.shared`, { schema, properties: { 'commit.retry.num-retries': '30' } })
    const rounds = 8
    let conflicts = 0
    const lakeCatalog = new HadoopCatalog({
      warehouse: rest.warehouse,
      io: new ResolvingFileIO({ hdfs: () => io }),
      hooks: {
        counter: (name, value = 1) => {
          if (name === 'lake.catalog.commit_conflicts') conflicts += value
        },
      },
    })
    const lakeWriter = (async () => {
      for (let round = 0; round < rounds; round++) {
        const table = await lakeCatalog.loadTable(`${NS}.shared`)
        await table.append([{ id: BigInt(round), writer: 'lake' }])
      }
    })()
    const trinoWriter = (async () => {
      for (let round = 0; round < rounds; round++) {
        await trino(`INSERT INTO lake.${NS}.shared VALUES (${1000 + round}, 'trino')`)
      }
    })()
    await Promise.all([lakeWriter, trinoWriter])

    console.info(`Lake lost ${conflicts} commit race(s) to Trino and retried`)
    const counts = await trino(
      `SELECT writer, count(*) FROM lake.${NS}.shared GROUP BY writer ORDER BY writer`,
    )
    expect(counts).toEqual([
      ['lake', rounds],
      ['trino', rounds],
    ])
    const table = await catalog.loadTable(`${NS}.shared`)
    expect(table.snapshots()).toHaveLength(2 * rounds)
    const ids = (await lakeCanonical('shared')).map((row) => row.id)
    expect(ids.sort()).toEqual(
      [
        ...Array.from({ length: rounds }, (_, i) => String(i)),
        ...Array.from({ length: rounds }, (_, i) => String(1000 + i)),
      ].sort(),
    )
  })
})
