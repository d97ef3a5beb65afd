/**
 * The independent readers and writers, run as child processes: Apache Iceberg Java
 * (`java/`, lake.interop.Main) and PyIceberg (`python/lake_interop.py`). Both print one JSON
 * document in the canonical form of `canonical.ts`. `setup.sh` installs them; without it every
 * call throws, so the interop tests fail rather than skip.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CanonicalRow, sortRows } from './canonical.js'

/** A table as one reader sees it: the same shape from Java, PyIceberg and Lake. */
export interface TableRead {
  /** The schema read (the snapshot's schema for a time-travel read), as Iceberg's schema JSON. */
  schema: SchemaJsonValue
  /** The default partition spec as Iceberg's spec JSON (`spec-id`, fields with `name`, `transform`, `source-id`, `field-id`). */
  spec: SpecJson
  /** Every snapshot the metadata holds, in metadata order. */
  snapshots: SnapshotJson[]
  'current-snapshot-id': string | null
  /** Branches and tags by name. */
  refs: Record<string, RefJson>
  /** The rows, in canonical form, sorted by their JSON text. */
  rows: CanonicalRow[]
}

/** Iceberg's schema JSON, as parsed. */
export type SchemaJsonValue = { [key: string]: unknown }

/** A partition spec in Iceberg's JSON form. */
export interface SpecJson {
  'spec-id': number
  fields: { name: string; transform: string; 'source-id': number; 'field-id': number }[]
}

/** A branch or tag; the retention settings are null where the metadata has none. */
export interface RefJson {
  'snapshot-id': string
  type: 'branch' | 'tag'
  'min-snapshots-to-keep': number | null
  'max-snapshot-age-ms': number | null
  'max-ref-age-ms': number | null
}

/** A snapshot, ids as decimal strings; `summary` without its `operation`, which is beside it. */
export interface SnapshotJson {
  'snapshot-id': string
  'parent-snapshot-id': string | null
  'sequence-number': number
  'timestamp-ms': number
  operation: string
  'schema-id': number | null
  summary: Record<string, string>
}

/** Options of a read. */
export interface ReadOptions {
  /** Read this snapshot instead of the current one. */
  snapshotId?: bigint | string
}

const PACKAGE_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')
const PYTHON = join(PACKAGE_DIR, '.venv', 'bin', 'python')
const PYTHON_SCRIPT = join(PACKAGE_DIR, 'python', 'lake_interop.py')
const JAVA_CLASSES = join(PACKAGE_DIR, 'java', 'target', 'classes')
const JAVA_CLASSPATH_FILE = join(PACKAGE_DIR, 'java', 'target', 'classpath.txt')

function notInstalled(what: string, missing: string): Error {
  return new Error(
    `The ${what} interop harness is not installed (${missing} is missing): run \`sh packages/interop/setup.sh\` first`,
  )
}

let javaClasspath: string | undefined
function javaCommand(args: readonly string[]): [string, string[]] {
  if (javaClasspath === undefined) {
    if (!existsSync(JAVA_CLASSPATH_FILE)) throw notInstalled('Apache Iceberg Java', JAVA_CLASSPATH_FILE)
    javaClasspath = `${JAVA_CLASSES}:${readFileSync(JAVA_CLASSPATH_FILE, 'utf8').trim()}`
  }
  return [
    'java',
    [
      // Short runs: the JIT's first tier and the serial collector start fastest.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
      '-cp',
      javaClasspath,
      'lake.interop.Main',
      ...args,
    ],
  ]
}

function pythonCommand(args: readonly string[]): [string, string[]] {
  if (!existsSync(PYTHON)) throw notInstalled('PyIceberg', PYTHON)
  return [PYTHON, [PYTHON_SCRIPT, ...args]]
}

function run([command, args]: [string, string[]]): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { maxBuffer: 512 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const tail = stderr.trim().split('\n').slice(-40).join('\n')
        reject(
          new Error(
            `${command === 'java' ? 'java lake.interop.Main' : 'lake_interop.py'} ${args.slice(-4).join(' ')} failed:\n${tail}`,
          ),
        )
        return
      }
      try {
        resolvePromise(JSON.parse(stdout))
      } catch (cause) {
        reject(new Error(`Harness printed no JSON: ${stdout.slice(0, 500)}`, { cause }))
      }
    })
  })
}

function readArgs(warehouse: string, table: string, options: ReadOptions): string[] {
  const args = ['read', resolve(warehouse), table]
  if (options.snapshotId !== undefined) args.push('--snapshot-id', String(options.snapshotId))
  return args
}

function normalise(read: TableRead): TableRead {
  // Each harness sorts by its own JSON spelling (Java writes 1.0E10, Python 10000000000.0);
  // JavaScript's is the one order compared.
  return { ...read, rows: sortRows(read.rows) }
}

/** Reads a table with Apache Iceberg Java (`HadoopCatalog.loadTable`, `IcebergGenerics`). */
export async function javaRead(
  warehouse: string,
  table: string,
  options: ReadOptions = {},
): Promise<TableRead> {
  return normalise((await run(javaCommand(readArgs(warehouse, table, options)))) as TableRead)
}

/** Reads several tables with one JVM launch, keyed by table. */
export async function javaReadMany(
  warehouse: string,
  tables: readonly string[],
): Promise<Record<string, TableRead>> {
  const reads = (await run(javaCommand(['read-many', resolve(warehouse), ...tables]))) as Record<
    string,
    TableRead
  >
  return Object.fromEntries(Object.entries(reads).map(([table, read]) => [table, normalise(read)]))
}

/** Reads several tables with one PyIceberg run, keyed by table. */
export async function pyReadMany(
  warehouse: string,
  tables: readonly string[],
): Promise<Record<string, TableRead>> {
  const reads = (await run(pythonCommand(['read-many', resolve(warehouse), ...tables]))) as Record<
    string,
    TableRead
  >
  return Object.fromEntries(Object.entries(reads).map(([table, read]) => [table, normalise(read)]))
}

/** Reads a table with PyIceberg (`StaticTable.from_metadata` on the current `vN.metadata.json`). */
export async function pyRead(
  warehouse: string,
  table: string,
  options: ReadOptions = {},
): Promise<TableRead> {
  return normalise((await run(pythonCommand(readArgs(warehouse, table, options)))) as TableRead)
}

async function withRowsFile<T>(rows: readonly CanonicalRow[], use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-interop-rows-'))
  try {
    const path = join(dir, 'rows.json')
    await writeFile(path, JSON.stringify(rows))
    return await use(path)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Appends canonical rows with Apache Iceberg Java's Parquet writer, one commit; returns the new snapshot id. */
export async function javaAppend(
  warehouse: string,
  table: string,
  rows: readonly CanonicalRow[],
): Promise<{ 'snapshot-id': string }> {
  return withRowsFile(rows, async (path) => {
    return (await run(javaCommand(['append', resolve(warehouse), table, path]))) as { 'snapshot-id': string }
  })
}

/** Appends canonical rows with PyIceberg (`table.append`), published as the table's next version. */
export async function pyAppend(
  warehouse: string,
  table: string,
  rows: readonly CanonicalRow[],
): Promise<{ 'snapshot-id': string }> {
  return withRowsFile(rows, async (path) => {
    return (await run(pythonCommand(['append', resolve(warehouse), table, path]))) as {
      'snapshot-id': string
    }
  })
}

/** One change {@link javaEvolve} makes, in its own commit. */
export type EvolveOp =
  | { op: 'add-column'; parent?: string; name: string; type: string }
  | { op: 'rename-column'; name: string; to: string }
  | { op: 'delete-column'; name: string }
  | { op: 'update-column'; name: string; type: string }
  | { op: 'add-partition-field'; source: string; transform: string }
  | { op: 'remove-partition-field'; name: string }
  | { op: 'create-tag' | 'create-branch'; name: string }
  | { op: 'set-property'; key: string; value: string }

/** Changes a table's schema, spec, refs or properties with Apache Iceberg Java, one commit per operation. */
export async function javaEvolve(
  warehouse: string,
  table: string,
  operations: readonly EvolveOp[],
): Promise<{ 'snapshot-id': string | null }> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-interop-ops-'))
  try {
    const path = join(dir, 'ops.json')
    await writeFile(path, JSON.stringify(operations))
    return (await run(javaCommand(['evolve', resolve(warehouse), table, path]))) as {
      'snapshot-id': string | null
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** What {@link javaAudit} found. */
export interface AuditResult {
  files: number
  rows: number
  /** How many recorded lower and upper bounds were checked. */
  bounds: number
  /** One sentence per disagreement between a data file's recorded partition or metrics and its rows. */
  problems: string[]
}

/**
 * Checks every data file of each table's current snapshot with Apache Iceberg Java (one launch): each row's partition,
 * computed by Java's transforms, must equal the file's recorded partition tuple, and the record
 * count, value, null and NaN counts and lower/upper bounds must describe the file's rows, or
 * Java would prune files that hold matching rows.
 */
export async function javaAudit(
  warehouse: string,
  tables: readonly string[],
): Promise<Record<string, AuditResult>> {
  return (await run(javaCommand(['audit', resolve(warehouse), ...tables]))) as Record<string, AuditResult>
}

/**
 * Writes the `java_db` fixtures with Apache Iceberg Java: `events`, `all_types`, `row_deltas`
 * (position and equality delete files), `evolved_spec`, `gzip_metadata` and `format_v1`.
 */
export async function javaCreateFixture(warehouse: string): Promise<{ tables: string[] }> {
  return (await run(javaCommand(['create-fixture', resolve(warehouse)]))) as { tables: string[] }
}

/** Writes `py_db.events` with PyIceberg. */
export async function pyCreateFixture(warehouse: string): Promise<{ tables: string[] }> {
  return (await run(pythonCommand(['create-fixture', resolve(warehouse)]))) as { tables: string[] }
}
