import { CommitConflictError, ValidationError } from '@lake/errors'
import { Table as ArrowTable, DataType, RecordBatch } from 'apache-arrow'
import { batchToRows } from '../scan/arrow-rows.js'
import { formatDecimal } from '../spec/conversions.js'
import type { DataFile } from '../spec/data-file.js'
import type { Schema } from '../spec/schema.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import { type IcebergType, typeToString } from '../spec/types.js'
import { coerceColumns } from '../spec/values.js'
import type { Table } from '../table/table.js'
import type { ColumnBatch } from '../writer/column-batch.js'
import { type FinishedFiles, TableWriter } from '../writer/table-writer.js'
import { isTypedColumn, typedColumnProblem, typedKind } from '../writer/typed-column.js'
import { SnapshotProducer } from './snapshot-producer.js'

/** What `append` and `overwrite` accept: rows as objects, an Arrow `Table`, or record batches. */
export type AppendInput =
  | readonly Readonly<Record<string, unknown>>[]
  | ArrowTable
  | RecordBatch
  | readonly RecordBatch[]

/**
 * Validates `data` against the table's current schema and converts it to internal values, one
 * array per column, which is the form the writer encodes. Every row is checked before anything is
 * written, so a bad row (a null in a required field, a value of the wrong type or out of range) is
 * refused with a `ValidationError` naming its field and row, and the table and its storage stay
 * untouched.
 */
export function toInternalColumns(schema: Schema, data: AppendInput, table: string): ColumnBatch {
  const rows = fromInput(schema, data, table)
  return { rowCount: rows.length, columns: coerceColumns(schema.asStruct(), rows, { table }) }
}

function fromInput(schema: Schema, data: AppendInput, table: string): readonly unknown[] {
  if (data instanceof ArrowTable) return data.batches.flatMap((batch) => arrowRows(schema, batch, table))
  if (data instanceof RecordBatch) return arrowRows(schema, data, table)
  if (!Array.isArray(data)) {
    throw new ValidationError('append expects an array of rows, an Arrow Table or RecordBatches', {
      context: { field: 'data' },
    })
  }
  if (data.length > 0 && data[0] instanceof RecordBatch) {
    return (data as readonly RecordBatch[]).flatMap((batch) => arrowRows(schema, batch, table))
  }
  return data
}

/**
 * Arrow columns read by name as internal values, then put in the form `coerceValue` takes, so
 * Arrow input is validated by exactly the rules rows are: a decimal's unscaled value becomes
 * its decimal text. A column the schema lacks is kept, so that validation names it.
 */
function arrowRows(schema: Schema, batch: RecordBatch, table: string): unknown[] {
  for (const field of schema.fields) {
    const arrow = batch.schema.fields.find((f) => f.name === field.name)
    if (arrow) checkArrowType(arrow.type, field.type, field.name, table)
  }
  const rows = batchToRows(batch, schema)
  const known = new Set(schema.fields.map((f) => f.name))
  for (const field of batch.schema.fields) {
    if (!known.has(field.name))
      rows.forEach((row, i) => {
        row[field.name] = batch.getChild(field.name)?.get(i)
      })
  }
  return rows.map((row) => asInput(schema.asStruct(), row))
}

/**
 * Refuses an Arrow column whose type cannot hold the Iceberg type's values before any is read:
 * read as the Iceberg type, a `Utf8` column would turn into numbers and a decimal of another
 * scale into values ten times off. Widths may differ (values are range-checked after); kinds,
 * decimal scales and nested field names may not.
 */
function checkArrowType(arrow: DataType, type: IcebergType, path: string, table: string): void {
  const refuse = () =>
    new ValidationError(
      `Field '${path}': an Arrow ${arrow} column cannot hold ${typeToString(type)} values`,
      {
        context: { table, field: path },
      },
    )
  if (DataType.isDictionary(arrow)) {
    checkArrowType(arrow.dictionary, type, path, table)
    return
  }
  switch (type.kind) {
    case 'struct': {
      if (!DataType.isStruct(arrow)) throw refuse()
      for (const child of arrow.children) {
        const field = type.fields.find((f) => f.name === child.name)
        const childPath = `${path}.${child.name}`
        if (!field) {
          throw new ValidationError(`Field '${childPath}' is not in ${typeToString(type)}`, {
            context: { table, field: childPath },
          })
        }
        checkArrowType(child.type, field.type, childPath, table)
      }
      return
    }
    case 'list':
      if (!DataType.isList(arrow)) throw refuse()
      checkArrowType(arrow.children[0]!.type, type.element, `${path}.element`, table)
      return
    case 'map': {
      if (!DataType.isMap(arrow)) throw refuse()
      const [key, value] = arrow.children[0]!.type.children
      checkArrowType(key!.type, type.key, `${path}.key`, table)
      checkArrowType(value!.type, type.value, `${path}.value`, table)
      return
    }
    default:
      if (!arrowKindFits(arrow, type)) throw refuse()
  }
}

function arrowKindFits(arrow: DataType, type: IcebergType): boolean {
  switch (type.kind) {
    case 'boolean':
      return DataType.isBool(arrow)
    case 'int':
    case 'long':
      return DataType.isInt(arrow)
    case 'float':
    case 'double':
      return DataType.isFloat(arrow)
    case 'decimal':
      return DataType.isDecimal(arrow) && arrow.scale === type.scale
    case 'date':
      return DataType.isDate(arrow)
    case 'time':
      return DataType.isTime(arrow)
    case 'timestamp':
    case 'timestamptz':
      return DataType.isTimestamp(arrow)
    case 'string':
      return DataType.isUtf8(arrow) || DataType.isLargeUtf8(arrow)
    case 'uuid':
      return DataType.isFixedSizeBinary(arrow) || DataType.isUtf8(arrow)
    default:
      return DataType.isBinary(arrow) || DataType.isLargeBinary(arrow) || DataType.isFixedSizeBinary(arrow)
  }
}

function asInput(type: IcebergType, value: unknown): unknown {
  if (value === null || value === undefined) return value
  switch (type.kind) {
    case 'decimal':
      return formatDecimal(value as bigint, type.scale)
    case 'struct': {
      const row = { ...(value as Record<string, unknown>) }
      for (const field of type.fields)
        if (field.name in row) row[field.name] = asInput(field.type, row[field.name])
      return row
    }
    case 'list':
      return (value as unknown[]).map((v) => asInput(type.element, v))
    case 'map':
      return new Map(
        [...(value as Map<unknown, unknown>)].map(([k, v]) => [asInput(type.key, k), asInput(type.value, v)]),
      )
    default:
      return value
  }
}

/** Writes validated rows as Parquet files, fanned out by the default spec, and prepares their snapshot. */
export async function appendAction(
  table: Table,
  data: AppendInput,
  options: { signal?: AbortSignal } = {},
): Promise<SnapshotProducer> {
  const rows = toInternalColumns(table.schema(), data, table.name)
  const { files, stored } = await writeBatches(table, [rows], options.signal)
  const producer = new SnapshotProducer(table, () => ({
    operation: 'append',
    added: files,
    removed: new Set(),
  }))
  producer.dataFiles.push(...files.map((f) => f.filePath))
  producer.stored = stored
  return producer
}

/**
 * Writes batches already validated against schema `schemaId` (see `ColumnBuilder`) and prepares
 * their snapshot, which every commit attempt refuses if the table's current schema is no longer
 * that one: the rows were checked against it, and the files would carry its field ids.
 */
export async function appendColumnsAction(
  table: Table,
  batches: readonly ColumnBatch[],
  schemaId: number,
  options: { signal?: AbortSignal } = {},
): Promise<SnapshotProducer> {
  checkSchemaId(table.metadata, schemaId, table.name)
  for (const batch of batches) checkBatch(batch, table.schema(), table.name)
  const { files, stored } = await writeBatches(table, batches, options.signal)
  const producer = new SnapshotProducer(table, (metadata) => {
    checkSchemaId(metadata, schemaId, table.name)
    return { operation: 'append', added: files, removed: new Set() }
  })
  producer.requiredSchemaId = schemaId
  producer.dataFiles.push(...files.map((f) => f.filePath))
  producer.stored = stored
  return producer
}

/**
 * Refuses a batch not shaped as rows of the schema: a column per field, each of `rowCount` rows,
 * and a typed column only for a flat field, of that field's kind and well formed (see
 * `typedColumnProblem`), since the encoder reads its arrays as they are.
 */
function checkBatch(batch: ColumnBatch, schema: Schema, table: string): void {
  const { fields } = schema
  if (batch.columns.length !== fields.length || batch.columns.some((c) => c.length !== batch.rowCount)) {
    throw new ValidationError(
      `A column batch of ${batch.rowCount} rows must have ${fields.length} columns of that many values`,
      { context: { table, field: 'batches' } },
    )
  }
  batch.columns.forEach((column, c) => {
    if (!isTypedColumn(column)) return
    const field = fields[c]!
    const kind = typedKind(field.type)
    const problem =
      kind === undefined
        ? `cannot be typed: ${typeToString(field.type)} has no typed layout`
        : typedColumnProblem(column, kind)
    if (problem === undefined) return
    throw new ValidationError(`Field '${field.name}': the typed column ${problem}`, {
      context: { table, field: field.name },
    })
  })
}

function checkSchemaId(metadata: TableMetadata, schemaId: number, table: string): void {
  if (metadata.currentSchemaId === schemaId) return
  throw new CommitConflictError(
    `The schema of ${table} is now ${metadata.currentSchemaId}, not ${schemaId} as the rows were validated against`,
    { retryable: false, context: { table, schemaId, currentSchemaId: metadata.currentSchemaId } },
  )
}

/** Writes rows of internal values through a {@link TableWriter}, stored; on failure nothing stays behind. */
export async function writeRows(table: Table, rows: ColumnBatch, signal?: AbortSignal): Promise<DataFile[]> {
  const { files, stored } = await writeBatches(table, [rows], signal)
  await stored
  return files
}

/**
 * Writes batches through a {@link TableWriter} and returns their files once encoded, with their
 * uploads still running (see `TableWriter.finish`); a failed upload removes every file written
 * before `stored` rejects, and so does a failure before they are encoded.
 */
async function writeBatches(
  table: Table,
  batches: readonly ColumnBatch[],
  signal?: AbortSignal,
): Promise<FinishedFiles> {
  const writer = new TableWriter({ io: table.io, metadata: table.metadata, ...(signal ? { signal } : {}) })
  let finished: FinishedFiles
  try {
    for (const batch of batches) await writer.write(batch)
    finished = await writer.finish()
  } catch (error) {
    await writer.abort()
    throw error
  }
  const stored = finished.stored.catch(async (error: unknown) => {
    await writer.abort()
    throw error
  })
  // Whoever commits the files waits for `stored`; a write given up before that must not leave
  // its rejection unhandled.
  stored.catch(() => {})
  return { files: finished.files, stored }
}
