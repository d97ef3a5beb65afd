import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { type RestCatalogServer, serveRestCatalog } from '../src/rest/server.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import type { Table } from '../src/table/table.js'
import { scanRows, tempDir } from './helpers.js'

// PyIceberg's RestCatalog (the PyPI client, from the interop package's venv) against Lake's
// endpoint: what it lists, loads, scans, appends, evolves and creates, Lake reads exactly.

const here = dirname(fileURLToPath(import.meta.url))
const PYTHON = join(here, '../../interop/.venv/bin/python')
const SCRIPT = join(here, 'rest-conformance/pyiceberg_client.py')
const TOKEN = 'conformance-token'

const servers: RestCatalogServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const { schema } = defineSchema({ id: col.long().required(), ts: col.timestamptz(), kind: col.string() })

type Row = { id: number; ts: number | null; kind: string | null; note?: string | null }

/** Lake's rows in the script's form: numbers, timestamps as microseconds, sorted by id. */
async function lakeRows(table: Table): Promise<Row[]> {
  const rows = await scanRows(table)
  return rows
    .map((r) => {
      const row: Row = {
        id: Number(r.id),
        ts: r.ts == null ? null : Number(r.ts),
        kind: (r.kind as string) ?? null,
      }
      if ('note' in r) row.note = (r.note as string) ?? null
      return row
    })
    .sort((a, b) => a.id - b.id)
}

async function runPyIceberg(...args: string[]): Promise<Record<string, unknown>> {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `PyIceberg is not installed at ${PYTHON}: run \`sh packages/interop/setup.sh\` first (it creates packages/interop/.venv)`,
    )
  }
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, ...args], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
    })
    return JSON.parse(stdout) as Record<string, unknown>
  } catch (error) {
    const { stderr } = error as { stderr?: string }
    throw new Error(`PyIceberg failed against the REST endpoint:\n${stderr ?? String(error)}`)
  }
}

describe('PyIceberg RestCatalog against the endpoint', () => {
  it('lists, loads, scans, appends, evolves and creates; Lake reads every change exactly', async () => {
    const warehouse = await tempDir()
    const catalog = new HadoopCatalog({ warehouse })
    await catalog.createNamespace('db')
    const events = await catalog.createTable('db.events', {
      schema,
      partitionBy: [{ source: 'ts', transform: 'day' }],
    })
    await events.append([
      { id: 1n, ts: 1_709_251_200_000_001n, kind: 'lake' },
      { id: 2n, ts: null, kind: 'lake' },
      { id: 3n, ts: 1_709_337_600_123_456n, kind: null },
    ])
    const written = await lakeRows(events)
    const server = await serveRestCatalog({
      catalog,
      port: 0,
      token: TOKEN,
      prefix: 'lake',
      warehouse: 'lake-warehouse',
    })
    servers.push(server)

    const out = await runPyIceberg(server.url, TOKEN, 'lake-warehouse')

    expect(out.namespaces).toEqual([['db']])
    expect(out.tables).toEqual([['db', 'events']])
    expect(out.namespace_exists).toBe(true)
    expect(out.table_exists).toEqual([true, false])
    expect(out.loaded).toMatchObject({
      metadata_location: events.metadataLocation,
      snapshot_id: String(events.currentSnapshot()!.snapshotId),
    })
    expect(out.scanned).toEqual(written)
    expect(out.stale_commit).toBe('CommitFailedException')

    // PyIceberg's appends and its added column, as Lake reads them back.
    const table = await catalog.loadTable('db.events')
    expect(table.schema().fields.map((f) => f.name)).toEqual(['id', 'ts', 'kind', 'note'])
    const expected: Row[] = [
      ...written.map((r) => ({ ...r, note: null })),
      { id: 100, ts: 1_709_287_200_000_001, kind: 'py', note: null },
      { id: 101, ts: 1_709_423_999_999_999, kind: null, note: null },
      { id: 102, ts: 1_709_424_000_000_000, kind: 'py', note: 'after evolve' },
    ]
    expect(await lakeRows(table)).toEqual(expected)
    expect(out.after).toEqual(expected)
    expect(out.schema).toEqual(['id', 'ts', 'kind', 'note'])
    expect(table.snapshots()).toHaveLength(3)
    expect(table.spec().fields.map((f) => f.name)).toEqual(['ts_day'])

    // Tables PyIceberg created, directly and through a create transaction.
    const created = await catalog.loadTable('db.py_created')
    expect(created.properties).toMatchObject({ owner: 'pyiceberg' })
    expect((await scanRows(created)).map((r) => [r.id, r.name])).toEqual([
      [1n, 'one'],
      [2n, null],
    ])
    expect(out.duplicate_create).toBe('TableAlreadyExistsError')
    expect(out.staged).toEqual({ exists: true, properties: { staged: 'yes' } })
    expect(out.dropped).toBe(true)
    expect(out.tables_after).toEqual([
      ['db', 'events'],
      ['db', 'py_created'],
    ])
    expect((await catalog.listTables('db')).map((t) => t.name).sort()).toEqual(['events', 'py_created'])
  }, 180_000)
})
