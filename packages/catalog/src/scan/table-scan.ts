import { ValidationError } from '@lake/errors'
import { type Schema as ArrowSchema, Table as ArrowTable, type RecordBatch } from 'apache-arrow'
import { z } from 'zod'
import { parseOptions } from '../catalog/table-options.js'
import { bind } from '../expr/bind.js'
import { evaluateBatch } from '../expr/evaluator.js'
import { alwaysTrue, type BoundExpression, type Expression } from '../expr/expressions.js'
import { schemaToArrow } from '../spec/arrow-schema.js'
import { DataFileContent } from '../spec/data-file.js'
import { Schema } from '../spec/schema.js'
import type { Snapshot } from '../spec/snapshot.js'
import type { NestedField } from '../spec/types.js'
import type { Table } from '../table/table.js'
import { type SnapshotSelector, selectSnapshot } from '../table/time-travel.js'
import { DEFAULT_BATCH_SIZE, readParquet } from './arrow-reader.js'
import { equalityDeleteFilter, positionDeletesFor, requireParquet } from './deletes.js'
import { type FileScanTask, planFiles, type ScanPlan } from './plan.js'

/** Options of {@link TableScan}. */
export interface TableScanOptions {
  /** Rows to return; built with `eq`, `and`, … Unknown columns and mistyped literals are refused. */
  filter?: Expression
  /** Columns to return (dotted names reach into structs); all by default. */
  columns?: readonly string[]
  /** Read this snapshot instead of the current one. */
  snapshotId?: bigint
  /** Read the snapshot that was current at this time (ms since the epoch, or a Date). */
  asOfTimestamp?: number | Date
  /** Read the head of this branch or tag. */
  ref?: string
  /** Match column names case-sensitively (default true). */
  caseSensitive?: boolean
  /** Maximum rows per batch (default 65,536). */
  batchSize?: number
  /** Stops the scan. */
  signal?: AbortSignal
}

const optionsSchema = z.strictObject({
  filter: z
    .custom<Expression>((v) => typeof v === 'object' && v !== null && 'kind' in v, 'an expression')
    .optional(),
  columns: z.array(z.string().min(1)).optional(),
  snapshotId: z.bigint().optional(),
  asOfTimestamp: z.union([z.number(), z.date()]).optional(),
  ref: z.string().min(1).optional(),
  caseSensitive: z.boolean().optional(),
  batchSize: z.number().int().positive().optional(),
  signal: z.instanceof(AbortSignal).optional(),
})

/**
 * A scan of a table: planned lazily, read as a stream of Arrow record batches whose memory is
 * bounded by the batch size and one row group, not by the table.
 *
 * @example
 * ```ts
 * const scan = table.scan({ filter: and(eq('kind', 'purchase'), gtEq('ts', '2026-11-01T00:00:00Z')), columns: ['id', 'ts'] })
 * console.log((await scan.planFiles()).tasks.length, 'files to read')
 * for await (const batch of scan.batches()) console.log(batch.numRows)
 * const all = await scan.toArrow()
 * ```
 */
export class TableScan {
  readonly #table: Table
  readonly #options: TableScanOptions
  readonly #snapshot: Snapshot | undefined
  readonly #schema: Schema
  readonly #projected: Schema
  readonly #filter: Expression
  #plan: Promise<ScanPlan> | undefined

  constructor(table: Table, options: TableScanOptions = {}) {
    this.#options = parseOptions(optionsSchema, options, 'scan options') as TableScanOptions
    this.#table = table
    const selectors = (['snapshotId', 'asOfTimestamp', 'ref'] as const).filter(
      (k) => options[k] !== undefined,
    )
    if (selectors.length > 1) {
      throw new ValidationError(
        `Choose one of snapshotId, asOfTimestamp and ref, not ${selectors.join(' and ')}`,
        {
          context: { table: table.name, field: selectors[1] },
        },
      )
    }
    const metadata = table.metadata
    this.#snapshot =
      selectors.length === 0
        ? metadata.currentSnapshot()
        : selectSnapshot(
            metadata,
            { [selectors[0]!]: options[selectors[0]!] } as SnapshotSelector,
            table.name,
          )
    // A time-travel read uses the schema the snapshot was written with, as Iceberg Java does.
    const snapshotSchema =
      selectors.length > 0 && this.#snapshot?.schemaId !== undefined
        ? metadata.schemaById(this.#snapshot.schemaId)
        : undefined
    this.#schema = snapshotSchema ?? metadata.currentSchema()
    this.#filter = options.filter ?? alwaysTrue()
    // Bind once here so a bad filter fails when the scan is made, before any file is read.
    bind(this.#schema, this.#filter, options.caseSensitive ?? true)
    this.#projected = selectColumns(this.#schema, options.columns, options.caseSensitive ?? true, table.name)
  }

  /** The snapshot read, or undefined for a table without snapshots. */
  snapshot(): Snapshot | undefined {
    return this.#snapshot
  }

  /** The schema of the returned rows. */
  schema(): Schema {
    return this.#projected
  }

  /** The Arrow schema of the returned batches. */
  arrowSchema(): ArrowSchema {
    return schemaToArrow(this.#projected)
  }

  /** The files to read and what planning pruned. Planned once per scan. */
  planFiles(): Promise<ScanPlan> {
    this.#plan ??= planFiles(
      this.#table.io,
      this.#table.metadata,
      this.#snapshot,
      this.#schema,
      this.#filter,
      this.#options.caseSensitive ?? true,
    )
    return this.#plan
  }

  /** The matching rows as Arrow record batches, file by file. */
  async *batches(): AsyncGenerator<RecordBatch, void, undefined> {
    const plan = await this.planFiles()
    for (const task of plan.tasks) yield* this.#readTask(task)
  }

  /** All matching rows as one Arrow table. Sugar over {@link TableScan.batches}: it holds every row in memory. */
  async toArrow(): Promise<ArrowTable> {
    const batches: RecordBatch[] = []
    for await (const batch of this.batches()) batches.push(batch)
    return batches.length > 0 ? new ArrowTable(batches) : new ArrowTable(this.arrowSchema())
  }

  async *#readTask(task: FileScanTask): AsyncGenerator<RecordBatch, void, undefined> {
    const io = this.#table.io
    const path = task.dataFile.filePath
    requireParquet(task.dataFile)
    const residual = task.residual
    const equalityDeletes = task.deletes.filter((d) => d.file.content === DataFileContent.EQUALITY_DELETES)
    const positionDeletes = await positionDeletesFor(io, task, this.#options.signal)
    const deleteFilter = await equalityDeleteFilter(io, this.#schema, equalityDeletes, this.#options.signal)
    // Read the columns the residual and the equality deletes need too, and drop them after.
    const extraIds = [...referencedIds(residual), ...(deleteFilter?.fieldIds ?? [])]
    const readSchema = withFields(this.#schema, this.#projected, extraIds)
    const needsFilter = residual.kind !== 'true' || deleteFilter !== undefined
    const file = await io.open(path)
    for await (const batch of readParquet({
      file,
      path,
      projectedSchema: readSchema,
      batchSize: this.#options.batchSize ?? DEFAULT_BATCH_SIZE,
      ...(positionDeletes ? { positionDeletes } : {}),
      ...(needsFilter ? { residual: (b: RecordBatch) => combineMasks(b, residual, deleteFilter?.keep) } : {}),
      ...(this.#options.signal ? { signal: this.#options.signal } : {}),
    })) {
      if (batch.numRows === 0) continue
      yield readSchema === this.#projected ? batch : batch.select(this.#projected.fields.map((f) => f.name))
    }
  }
}

function combineMasks(
  batch: RecordBatch,
  residual: BoundExpression,
  keep: ((batch: RecordBatch) => Uint8Array) | undefined,
): Uint8Array {
  const mask =
    residual.kind === 'true' ? new Uint8Array(batch.numRows).fill(1) : evaluateBatch(residual, batch)
  if (keep) {
    const kept = keep(batch)
    for (let i = 0; i < mask.length; i++) mask[i]! &= kept[i]!
  }
  return mask
}

function referencedIds(expr: BoundExpression): number[] {
  switch (expr.kind) {
    case 'true':
    case 'false':
      return []
    case 'and':
    case 'or':
      return [...referencedIds(expr.left), ...referencedIds(expr.right)]
    default:
      return [expr.term.fieldId]
  }
}

/**
 * The schema restricted to the selected columns, in the table's column order. A dotted name
 * selects a field inside a struct, keeping only the selected children of that struct.
 */
export function selectColumns(
  schema: Schema,
  columns: readonly string[] | undefined,
  caseSensitive: boolean,
  table: string,
): Schema {
  if (!columns) return schema
  const ids = new Set<number>()
  for (const name of columns) {
    const field = schema.findFieldByName(name, caseSensitive)
    if (!field)
      throw new ValidationError(`Column '${name}' does not exist in ${table}`, {
        context: { table, field: name },
      })
    ids.add(field.id)
  }
  return new Schema(pruneFields(schema.fields, ids, schema), schema.schemaId, [])
}

function pruneFields(
  fields: readonly NestedField[],
  ids: ReadonlySet<number>,
  schema: Schema,
): NestedField[] {
  const out: NestedField[] = []
  for (const field of fields) {
    if (ids.has(field.id)) {
      out.push(field)
    } else if (field.type.kind === 'struct') {
      const children = pruneFields(field.type.fields, ids, schema)
      if (children.length > 0) out.push({ ...field, type: { kind: 'struct', fields: children } })
    }
  }
  return out
}

/** `projected` plus the top-level fields of `schema` that hold the extra field ids. */
function withFields(schema: Schema, projected: Schema, extraIds: readonly number[]): Schema {
  const have = new Set(projected.allFieldIds())
  const missing = extraIds.filter((id) => !have.has(id))
  if (missing.length === 0) return projected
  const topLevel = new Set<number>()
  for (let id of missing) {
    let parent = schema.parentId(id)
    while (parent !== undefined) {
      id = parent
      parent = schema.parentId(id)
    }
    topLevel.add(id)
  }
  const fields = schema.fields.filter(
    (f) => topLevel.has(f.id) && !projected.fields.some((p) => p.id === f.id),
  )
  return new Schema([...projected.fields, ...fields], projected.schemaId, [])
}
