import { readdir } from 'node:fs/promises'
import { isLakeError, type LakeError, ValidationError } from '@lake/errors'
import {
  Table as ArrowTable,
  Decimal,
  Field,
  Float64,
  Int64,
  makeData,
  makeVector,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { and, eq, gt, isNaN as isNaNPredicate, lt, startsWith } from '../src/expr/expressions.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import type { Table } from '../src/table/table.js'
import { listFiles, newCatalog, scanRows, tableDir, versionHint } from './helpers.js'

const schema = defineSchema({
  id: col.long().required(),
  count: col.int(),
  price: col.decimal(9, 2),
  name: col.string(),
  ts: col.timestamptz(),
  point: col.struct({ x: col.double().required(), y: col.double() }),
  tags: col.list(col.string().required()),
})

async function tableWithRows() {
  const { catalog, warehouse } = await newCatalog()
  await catalog.createNamespace('db')
  const table = await catalog.createTable('db.t', {
    schema,
    partitionBy: [{ source: 'name', transform: 'identity' }],
  })
  await table.append([{ id: 1n, count: 1, price: '1.00', name: 'a' }])
  return { catalog, warehouse, table }
}

/** Runs `action`, expects a ValidationError, and checks nothing changed on disk or in the catalog. */
async function refusedUnchanged(table: Table, action: () => Promise<unknown>): Promise<LakeError> {
  const files = await listFiles(tableDir(table))
  const location = table.metadataLocation
  const hint = await versionHint(table)
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ValidationError)
  expect(await listFiles(tableDir(table))).toEqual(files)
  expect(await versionHint(table)).toBe(hint)
  expect(table.metadataLocation).toBe(location)
  return error as LakeError
}

describe('appending bad rows', () => {
  it.each([
    ['a null in a required field', { id: null }, 'id'],
    ['a missing required field', { name: 'x' }, 'id'],
    ['a string in a long field', { id: 'seven' }, 'id'],
    ['a number in a string field', { id: 1n, name: 5 }, 'name'],
    ['an int out of range', { id: 1n, count: 2 ** 31 }, 'count'],
    ['a fractional int', { id: 1n, count: 1.5 }, 'count'],
    ['a decimal with too many digits', { id: 1n, price: '12345678.90' }, 'price'],
    ['a decimal with too many fractional digits', { id: 1n, price: '1.234' }, 'price'],
    ['a timestamptz without an offset', { id: 1n, ts: '2026-01-01T00:00:00' }, 'ts'],
    ['a timestamp as a plain number', { id: 1n, ts: 1_767_225_600_000 }, 'ts'],
    ['an invalid Date', { id: 1n, ts: new Date(Number.NaN) }, 'ts'],
    ['a null in a required nested field', { id: 1n, point: { x: null } }, 'point.x'],
    ['a null in a required list element', { id: 1n, tags: ['a', null] }, 'tags[1]'],
    ['a column the table lacks', { id: 1n, colour: 'red' }, 'colour'],
    ['a nested field the struct lacks', { id: 1n, point: { x: 1, z: 2 } }, 'point.z'],
  ])('refuses %s with a ValidationError naming field and row, writing nothing', async (_, bad, field) => {
    const { table } = await tableWithRows()
    const good = Array.from({ length: 7 }, (_, i) => ({ id: BigInt(i + 10), name: `n${i % 3}` }))
    const error = await refusedUnchanged(table, () => table.append([...good, bad, ...good]))
    expect(error.context.field).toBe(field)
    expect(error.context.row).toBe(7)
    expect(error.context.table).toBe('db.t')
    expect(error.message).toContain('Row 7')
    expect(error.message).toContain(field.replace(/\[.*$/, ''))
  })

  it('refuses a row that is not an object, and input that is not rows or Arrow', async () => {
    const { table } = await tableWithRows()
    const error = await refusedUnchanged(table, () => table.append([{ id: 1n }, 'oops' as never]))
    expect(error.context.row).toBe(1)
    await refusedUnchanged(table, () => table.append('rows' as never))
    await refusedUnchanged(table, () => table.append({ id: 1n } as never))
  })

  it('refuses an Arrow table with a null in a required column, naming it and the row', async () => {
    const { table } = await tableWithRows()
    const arrow = new ArrowTable({
      id: vectorFromArray([1n, null, 3n], new Int64()),
      name: vectorFromArray(['a', 'b', 'c'], new Utf8()),
    })
    const error = await refusedUnchanged(table, () => table.append(arrow))
    expect(error.context).toMatchObject({ field: 'id', row: 1 })
  })

  it.each([
    ['Utf8 for a long', 'id', () => vectorFromArray(['1', '2'], new Utf8())],
    ['Float64 for a long', 'id', () => vectorFromArray([1, 2.5], new Float64())],
    ['Float64 for a string', 'name', () => vectorFromArray([1, 2], new Float64())],
    [
      'a decimal of another scale',
      'price',
      () =>
        makeVector(makeData({ type: new Decimal(3, 9, 128), length: 2, data: new Uint32Array(8).fill(0) })),
    ],
  ])('refuses an Arrow column of %s, naming it, before reading any value', async (_, field, vector) => {
    const { table } = await tableWithRows()
    const columns = { id: vectorFromArray([1n, 2n], new Int64()), [field]: vector() }
    const error = await refusedUnchanged(table, () => table.append(new ArrowTable(columns)))
    expect(error.context).toMatchObject({ field, table: 'db.t' })
  })

  it('refuses an Arrow struct with a field the table’s struct lacks', async () => {
    const { table } = await tableWithRows()
    const point = vectorFromArray(
      [{ x: 1, z: 2 }],
      new Struct([new Field('x', new Float64(), false), new Field('z', new Float64(), true)]),
    )
    const error = await refusedUnchanged(table, () =>
      table.append(new ArrowTable({ id: vectorFromArray([1n], new Int64()), point })),
    )
    expect(error.context.field).toBe('point.z')
  })

  it('refuses an Arrow column the table lacks', async () => {
    const { table } = await tableWithRows()
    const arrow = new ArrowTable({
      id: vectorFromArray([1n], new Int64()),
      colour: vectorFromArray(['red'], new Utf8()),
    })
    const error = await refusedUnchanged(table, () => table.append(arrow))
    expect(error.context.field).toBe('colour')
  })

  it('refuses bad rows in an overwrite before deleting anything', async () => {
    const { table } = await tableWithRows()
    await refusedUnchanged(table, () => table.overwrite(eq('name', 'a'), [{ id: null }]))
    expect(await scanRows(table, { columns: ['id'] })).toEqual([{ id: 1n }])
  })
})

describe('bad filters', () => {
  it.each([
    ['an unknown column', eq('nope', 1), 'nope'],
    ['an unknown column deep in an and', and(gt('id', 0n), lt('nope', 1)), 'nope'],
    ['a string literal for a long', eq('id', 'abc'), 'id'],
    ['a fractional literal for an int', eq('count', 1.5), 'count'],
    ['a literal that overflows an int', gt('count', 2 ** 40), 'count'],
    ['an unparsable timestamp', lt('ts', 'yesterday'), 'ts'],
    ['a decimal literal with too many digits', eq('price', '1.234'), 'price'],
    ['startsWith on a number', startsWith('id', '1'), 'id'],
    ['isNaN on a long', isNaNPredicate('id'), 'id'],
  ])('refuses %s in a scan, a delete and an overwrite, naming the column', async (_, filter, field) => {
    const { table } = await tableWithRows()
    let error: unknown
    try {
      table.scan({ filter })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as LakeError).context.field).toBe(field)
    const deleted = await refusedUnchanged(table, () => table.delete(filter))
    expect(deleted.context.field).toBe(field)
    await refusedUnchanged(table, () => table.overwrite(filter, [{ id: 5n }]))
  })

  it('refuses unknown columns to select and unknown scan options', async () => {
    const { table } = await tableWithRows()
    expect(() => table.scan({ columns: ['id', 'nope'] })).toThrow(ValidationError)
    expect(() => table.scan({ batchSize: 0 })).toThrow(ValidationError)
    expect(() => table.scan({ nope: 1 } as never)).toThrow(ValidationError)
  })
})

describe('bad identifiers and options', () => {
  const bad = ['..', '.', 'a/b', 'a\\b', 'tab\there', 'nul\u0000', 'del\u007f', '', ' padded']

  it.each(bad)('refuses the name %j everywhere, creating nothing', async (name) => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('db')
    const before = await readdir(warehouse, { recursive: true })
    const attempts: (() => Promise<unknown>)[] = [
      () => catalog.createNamespace(name),
      () => catalog.createNamespace(['db', name]),
      () => catalog.createTable(['db', name], { schema }),
      () => catalog.createTable({ namespace: [name], name: 't' }, { schema }),
      () => catalog.loadTable(['db', name]),
      () => catalog.tableExists(['db', name]),
      () => catalog.dropTable(['db', name]),
      () => catalog.dropNamespace(['db', name]),
      () => catalog.listTables(['db', name]),
    ]
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ValidationError)
    }
    expect(await readdir(warehouse, { recursive: true })).toEqual(before)
  })

  it('refuses a rename to an invalid name and keeps the table', async () => {
    const { catalog } = await tableWithRows()
    await expect(catalog.renameTable('db.t', ['db', '..'])).rejects.toBeInstanceOf(ValidationError)
    await expect(catalog.renameTable('db.t', ['..', 'x'])).rejects.toBeInstanceOf(ValidationError)
    await expect(catalog.renameTable('db.t', 'noNamespace')).rejects.toBeInstanceOf(ValidationError)
    expect(await scanRows(await catalog.loadTable('db.t'), { columns: ['id'] })).toEqual([{ id: 1n }])
  })

  it('refuses bad createTable options with the option named, creating nothing', async () => {
    const { catalog, warehouse } = await newCatalog()
    await catalog.createNamespace('db')
    const cases: [object, string][] = [
      [{ schema, partitionBy: [{ source: 'nope', transform: 'identity' }] }, 'nope'],
      [{ schema, partitionBy: [{ source: 'name', transform: 'bucket[x]' }] }, 'bucket'],
      [{ schema, partitionBy: [{ source: 'point', transform: 'identity' }] }, 'point'],
      [{ schema, sortBy: [{ source: 'nope' }] }, 'nope'],
      [{ schema, properties: { a: 1 } }, 'properties'],
      [{ schema, colour: 'red' }, 'colour'],
    ]
    for (const [options, named] of cases) {
      const error = await catalog.createTable('db.t', options as never).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isLakeError(error) && error.code).toBe('LAKE_VALIDATION')
      expect(String((error as Error).message)).toContain(named)
    }
    expect(await listFiles(warehouse)).toEqual([])
    expect(await catalog.tableExists('db.t')).toBe(false)
  })
})
