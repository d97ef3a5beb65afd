/**
 * Reading one Parquet data file as Arrow record batches for a projected Iceberg schema: the
 * reading half of a scan (pyiceberg's `ArrowScan`, iceberg-rust's `ArrowReader`), kept apart from
 * planning. Columns are matched by field id; position deletes and a residual filter are applied
 * batch by batch.
 *
 * @module
 */
import { AbortedError, CorruptFileError, ValidationError } from '@lake/errors'
import { type Schema as ArrowSchema, type Data, makeData, RecordBatch, Struct } from 'apache-arrow'
import type { ColumnMetaData, FileMetaData } from 'hyparquet'
import { z } from 'zod'
import type { AsyncBuffer } from '../io/file-io.js'
import { schemaToArrow } from '../spec/arrow-schema.js'
import { Schema } from '../spec/schema.js'
import { buildRowGroup } from './arrow-build.js'
import { takeRows } from './arrow-take.js'
import type { NameMapping } from './name-mapping.js'
import { chunkRange, decodeChunk, type LeafChunk, readFooter, schemaTree } from './parquet-chunk.js'
import { type Projection, projectSchema } from './projection.js'

/**
 * Positions (0-based row numbers in the data file) of rows deleted by v2 position delete files:
 * an array, typed array or set, in any order.
 */
export type PositionDeletes = Iterable<number | bigint>

/**
 * A filter evaluated on each batch after position deletes: returns, per row, whether to keep it
 * (non-zero / `true`), or `undefined` to keep the whole batch. This is the seam for a residual
 * expression evaluator (and for equality deletes): the reader does not know expressions. Columns
 * it reads must be in the projected schema.
 */
export type ResidualFilter = (batch: RecordBatch) => ArrayLike<number | boolean> | undefined

/** Options of {@link readParquet}. */
export interface ReadParquetOptions {
  /** The data file's bytes, read on demand (see `FileIO.open`). */
  file: AsyncBuffer
  /** The file's location, named in errors. */
  path: string
  /**
   * The schema to read: the table's current schema restricted to the selected columns, in the
   * order wanted. Batches have exactly its fields (see `schemaToArrow`).
   */
  projectedSchema: Schema
  /** Maximum rows per batch. Defaults to 65,536. */
  batchSize?: number
  /** Indices of the row groups to read, e.g. those planning kept; all by default. */
  rowGroups?: readonly number[]
  /** Rows to skip: v2 position deletes that apply to this file. */
  positionDeletes?: PositionDeletes
  /** A row filter applied to each batch, after position deletes. */
  residual?: ResidualFilter
  /** The table's name mapping, used only if the file has no field ids. */
  nameMapping?: NameMapping
  /** Stops the read between row groups. */
  signal?: AbortSignal
}

/** The default of {@link ReadParquetOptions.batchSize}. */
export const DEFAULT_BATCH_SIZE = 65_536

const optionsSchema = z.object({
  file: z.custom<AsyncBuffer>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as AsyncBuffer).byteLength === 'number' &&
      typeof (v as AsyncBuffer).slice === 'function',
    'an AsyncBuffer ({ byteLength, slice(start, end) })',
  ),
  path: z.string().min(1),
  projectedSchema: z.instanceof(Schema),
  batchSize: z.number().int().positive().optional(),
  rowGroups: z.array(z.number().int().nonnegative()).optional(),
  positionDeletes: z
    .custom<PositionDeletes>(
      (v) => typeof v === 'object' && v !== null && Symbol.iterator in v,
      'an iterable',
    )
    .optional(),
  residual: z.custom<ResidualFilter>((v) => typeof v === 'function', 'a function').optional(),
  nameMapping: z.array(z.unknown()).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'an AbortSignal').optional(),
})

/**
 * Reads one Parquet data file as Arrow record batches of the projected schema.
 *
 * Parquet columns are matched to Iceberg fields by field id (through `nameMapping` for files
 * written without ids), so renamed columns read; fields the file lacks read as nulls or their
 * initial default; `int`/`float`/`decimal` columns widened since the file was written read as
 * the wider type. Only the projected columns of the selected row groups are fetched; memory is
 * bounded by one row group's projected columns. A file that is truncated or does not decode
 * fails with `CorruptFileError` naming `path`; no partial data is returned for it.
 *
 * @example
 * ```ts
 * const file = await io.open(task.dataFile.filePath)
 * for await (const batch of readParquet({ file, path: task.dataFile.filePath, projectedSchema })) {
 *   console.log(batch.numRows)
 * }
 * ```
 */
export async function* readParquet(
  options: ReadParquetOptions,
): AsyncGenerator<RecordBatch, void, undefined> {
  const parsed = optionsSchema.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.map(String).join('.')
    throw new ValidationError(`Invalid Parquet read option '${field}': ${issue.message}`, {
      context: { field },
    })
  }
  const { file, path, projectedSchema, signal } = options
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const metadata = await readFooter(file, path)
  const projection = projectSchema(projectedSchema, schemaTree(metadata), path, options.nameMapping)
  const arrowSchema = schemaToArrow(projectedSchema)
  const deletes = options.positionDeletes ? sortedPositions(options.positionDeletes) : undefined
  const plan = planRowGroups(metadata, projection, options.rowGroups, path, file.byteLength).filter(
    // A row group whose every row is deleted is not even fetched.
    (group) => !deletes || countInRange(deletes, group.firstRow, group.firstRow + group.rows) < group.rows,
  )

  let next = prefetch(file, plan[0], path)
  for (let g = 0; g < plan.length; g++) {
    if (signal?.aborted) throw new AbortedError(`Reading ${path} was aborted`, { context: { file: path } })
    const group = plan[g]!
    const current = next!
    // Fetch the next row group while this one decodes.
    next = prefetch(file, plan[g + 1], path)
    const buffers = await current
    const chunks = group.columns.map((column, i) =>
      decodeChunk(buffers[i]!, column.meta, projection.columns[i]!.schemaPath, path),
    )
    const batch = rowGroupBatch(arrowSchema, projection, chunks, group.rows, path)
    yield* batches(batch, group, batchSize, deletes, options.residual)
  }
}

interface PlannedColumn {
  readonly meta: ColumnMetaData
  readonly start: number
  readonly end: number
}

interface PlannedRowGroup {
  readonly index: number
  /** Position of the group's first row in the file. */
  readonly firstRow: number
  readonly rows: number
  /** One per projection column, in the same order. */
  readonly columns: readonly PlannedColumn[]
}

function planRowGroups(
  metadata: FileMetaData,
  projection: Projection,
  selected: readonly number[] | undefined,
  path: string,
  byteLength: number,
): PlannedRowGroup[] {
  const groups = metadata.row_groups
  const firstRows: number[] = []
  let position = 0
  for (const group of groups) {
    firstRows.push(position)
    position += Number(group.num_rows)
  }
  const indices = selected ?? groups.map((_, i) => i)
  return indices.map((index) => {
    const group = groups[index]
    if (!group) {
      throw new ValidationError(`Row group ${index} does not exist in ${path}, which has ${groups.length}`, {
        context: { file: path },
      })
    }
    const columns = projection.columns.map((column) => {
      const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.join('.') === column.path)
      if (!chunk?.meta_data) {
        throw new CorruptFileError(`Row group ${index} of ${path} has no column chunk for '${column.path}'`, {
          context: { file: path, field: column.path },
        })
      }
      const { start, end } = chunkRange(chunk.meta_data)
      if (start < 0 || end > byteLength || end < start) {
        throw new CorruptFileError(
          `Column '${column.path}' of row group ${index} lies outside ${path} (bytes ${start}–${end} of ${byteLength})`,
          { context: { file: path, field: column.path } },
        )
      }
      return { meta: chunk.meta_data, start, end }
    })
    return { index, firstRow: firstRows[index]!, rows: Number(group.num_rows), columns }
  })
}

/** Starts fetching a row group; a rejection is left for the `await` (none, if the read stops first). */
function prefetch(file: AsyncBuffer, group: PlannedRowGroup | undefined, path: string) {
  if (!group) return undefined
  const promise = fetchRowGroup(file, group, path)
  promise.catch(() => {})
  return promise
}

/** Largest gap between two column chunks that is read rather than fetched separately. */
const COALESCE_GAP = 64 * 1024

/** Fetches the projected column chunks of one row group, coalescing nearby ranges. */
async function fetchRowGroup(file: AsyncBuffer, group: PlannedRowGroup, path: string): Promise<Uint8Array[]> {
  const order = group.columns
    .map((_, i) => i)
    .sort((a, b) => group.columns[a]!.start - group.columns[b]!.start)
  const out: Uint8Array[] = new Array(group.columns.length)
  let i = 0
  const reads: Promise<void>[] = []
  while (i < order.length) {
    const first = group.columns[order[i]!]!
    let end = first.end
    let j = i + 1
    while (j < order.length && group.columns[order[j]!]!.start - end <= COALESCE_GAP) {
      end = Math.max(end, group.columns[order[j]!]!.end)
      j++
    }
    const members = order.slice(i, j)
    const start = first.start
    reads.push(
      Promise.resolve(file.slice(start, end)).then((buffer) => {
        if (buffer.byteLength !== end - start) {
          throw new CorruptFileError(
            `Parquet file ${path} is truncated: asked for bytes ${start}–${end}, got ${buffer.byteLength}`,
            { context: { file: path } },
          )
        }
        for (const m of members) {
          const column = group.columns[m]!
          out[m] = new Uint8Array(buffer, column.start - start, column.end - column.start)
        }
      }),
    )
    i = j
  }
  await Promise.all(reads)
  return out
}

function rowGroupBatch(
  arrowSchema: ArrowSchema,
  projection: Projection,
  chunks: readonly LeafChunk[],
  rows: number,
  path: string,
): RecordBatch {
  const children: Data[] = buildRowGroup(projection.fields, arrowSchema.fields, chunks, rows, path)
  const data = makeData({ type: new Struct(arrowSchema.fields), length: rows, nullCount: 0, children })
  return new RecordBatch(arrowSchema, data)
}

/** Cuts a row group's batch into batches of at most `batchSize` rows, dropping deleted and filtered rows. */
function* batches(
  group: RecordBatch,
  planned: PlannedRowGroup,
  batchSize: number,
  deletes: Float64Array | undefined,
  residual: ResidualFilter | undefined,
): Generator<RecordBatch> {
  for (let offset = 0; offset < planned.rows; offset += batchSize) {
    const end = Math.min(planned.rows, offset + batchSize)
    let indices = deletes ? keptRows(deletes, planned.firstRow, offset, end) : undefined
    let batch = indices ? takeRows(group, indices) : group.slice(offset, end)
    if (residual && batch.numRows > 0) {
      const mask = residual(batch)
      if (mask !== undefined) {
        if (mask.length !== batch.numRows) {
          throw new RangeError(
            `Residual filter returned ${mask.length} flags for a batch of ${batch.numRows} rows`,
          )
        }
        const base = indices
        const kept = new Int32Array(batch.numRows)
        let n = 0
        for (let i = 0; i < mask.length; i++) if (mask[i]) kept[n++] = base ? base[i]! : offset + i
        if (n < batch.numRows) {
          indices = kept.subarray(0, n)
          batch = takeRows(group, indices)
        }
      }
    }
    if (batch.numRows > 0) yield batch
  }
}

/** Row-group-relative indices of rows in `[offset, end)` not deleted, or undefined when none is. */
function keptRows(
  deletes: Float64Array,
  firstRow: number,
  offset: number,
  end: number,
): Int32Array | undefined {
  const from = firstRow + offset
  const to = firstRow + end
  let d = lowerBound(deletes, from)
  if (d >= deletes.length || deletes[d]! >= to) return undefined
  const kept = new Int32Array(end - offset)
  let n = 0
  for (let position = from; position < to; position++) {
    if (d < deletes.length && deletes[d] === position) {
      d++
      continue
    }
    kept[n++] = position - firstRow
  }
  return kept.subarray(0, n)
}

function countInRange(sorted: Float64Array, from: number, to: number): number {
  return lowerBound(sorted, to) - lowerBound(sorted, from)
}

function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Deleted positions as a sorted array without duplicates. */
function sortedPositions(positions: PositionDeletes): Float64Array {
  const values: number[] = []
  for (const p of positions) values.push(Number(p))
  const sorted = Float64Array.from(values).sort()
  let n = 0
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!
  return sorted.subarray(0, n)
}
