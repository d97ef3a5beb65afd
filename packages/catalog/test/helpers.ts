import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { Table as ArrowTable } from 'apache-arrow'
import { afterEach } from 'vitest'
import { HadoopCatalog, type HadoopCatalogOptions } from '../src/catalog/hadoop-catalog.js'
import type { AsyncBuffer, FileIO, FileStatus, ReadStreamOptions, WriteOptions } from '../src/io/file-io.js'
import { toPath } from '../src/io/local.js'
import { ResolvingFileIO } from '../src/io/resolve.js'
import { batchToRows } from '../src/scan/arrow-rows.js'
import type { TableScanOptions } from '../src/scan/table-scan.js'
import type { Table } from '../src/table/table.js'

const dirs: string[] = []

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** `length` bytes from a xorshift generator: the same for the same seed, unlike `randomBytes`. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    bytes[i] = x & 0xff
  }
  return bytes
}

/** A fresh warehouse directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-test-'))
  dirs.push(dir)
  return dir
}

/** A Hadoop catalog over a fresh warehouse directory. */
export async function newCatalog(
  options: Partial<HadoopCatalogOptions> = {},
): Promise<{ catalog: HadoopCatalog; warehouse: string }> {
  const warehouse = await tempDir()
  return { catalog: new HadoopCatalog({ warehouse, ...options }), warehouse }
}

/** Every file under `dir`, as sorted paths relative to it; hidden temporary files included. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (current: string) => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(current, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const path = join(current, entry.name)
      if (entry.isDirectory()) await walk(path)
      else out.push(relative(dir, path))
    }
  }
  await walk(dir)
  return out.sort()
}

/** The local path of a table's directory. */
export function tableDir(table: Table): string {
  return toPath(table.location)
}

/** The text of a table's `version-hint.text`. */
export async function versionHint(table: Table): Promise<string> {
  return readFile(join(tableDir(table), 'metadata', 'version-hint.text'), 'utf8')
}

/** The rows a scan returns, as internal values of the scan's schema. */
export async function scanRows(
  table: Table,
  options: TableScanOptions = {},
): Promise<Record<string, unknown>[]> {
  const scan = table.scan(options)
  return arrowRows(await scan.toArrow(), scan.schema())
}

/** The rows of an Arrow table as internal values of `schema`. */
export function arrowRows(
  arrow: ArrowTable,
  schema: Parameters<typeof batchToRows>[1],
): Record<string, unknown>[] {
  return arrow.batches.flatMap((batch) => batchToRows(batch, schema))
}

/** Rows sorted by a bigint or number key, for order-independent comparisons. */
export function sortBy<T extends Record<string, unknown>>(rows: T[], key: string): T[] {
  return [...rows].sort((a, b) => {
    const x = a[key] as bigint | number
    const y = b[key] as bigint | number
    return x < y ? -1 : x > y ? 1 : 0
  })
}

/** The values of one column of rows, sorted ascending. */
export function sortedColumn(rows: readonly Record<string, unknown>[], key: string): unknown[] {
  return rows.map((r) => r[key]).sort((a, b) => ((a as bigint) < (b as bigint) ? -1 : a === b ? 0 : 1))
}

/**
 * A {@link FileIO} that delegates to local storage and lets a test inject faults into any
 * operation by replacing it on {@link FaultyFileIO.faults}.
 */
export class FaultyFileIO implements FileIO {
  readonly inner: FileIO = new ResolvingFileIO()
  readonly faults: Partial<FileIO> = {}

  exists(location: string): Promise<boolean> {
    return (this.faults.exists ?? this.inner.exists).call(this.inner, location)
  }
  stat(location: string): Promise<FileStatus> {
    return (this.faults.stat ?? this.inner.stat).call(this.inner, location)
  }
  read(location: string): Promise<Uint8Array> {
    return (this.faults.read ?? this.inner.read).call(this.inner, location)
  }
  readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    return (this.faults.readRange ?? this.inner.readRange).call(this.inner, location, offset, length)
  }
  open(location: string): Promise<AsyncBuffer> {
    return (this.faults.open ?? this.inner.open).call(this.inner, location)
  }
  readStream(location: string, options?: ReadStreamOptions): AsyncIterable<Uint8Array> {
    return (this.faults.readStream ?? this.inner.readStream).call(this.inner, location, options)
  }
  write(
    location: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options?: WriteOptions,
  ): Promise<void> {
    return (this.faults.write ?? this.inner.write).call(this.inner, location, data, options)
  }
  renameIfAbsent(from: string, to: string): Promise<boolean> {
    return (this.faults.renameIfAbsent ?? this.inner.renameIfAbsent).call(this.inner, from, to)
  }
  delete(location: string, options?: { recursive?: boolean }): Promise<void> {
    return (this.faults.delete ?? this.inner.delete).call(this.inner, location, options)
  }
  list(location: string): AsyncIterable<FileStatus> {
    return (this.faults.list ?? this.inner.list).call(this.inner, location)
  }
  mkdirs(location: string): Promise<void> {
    return (this.faults.mkdirs ?? this.inner.mkdirs).call(this.inner, location)
  }
}
