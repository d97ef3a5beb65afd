/**
 * Rows in the form every layer of writing passes them on: one array of internal values per
 * top-level field, which is what hyparquet-writer encodes, so validated rows reach the encoder
 * without an object per row or a transpose in between.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import type { Schema } from '../spec/schema.js'
import { rowCoercion } from '../spec/values.js'

/**
 * Rows of internal values (see `types.ts`) as one array per top-level field of the schema, in
 * the schema's field order; every array holds `rowCount` values (`null` for a null). Arrays are
 * shared, never copied, between the layers of writing, so none may be changed once handed over.
 */
export interface ColumnBatch {
  readonly rowCount: number
  readonly columns: readonly (readonly unknown[])[]
}

/** Rows of internal values as a {@link ColumnBatch}; a missing field is null. */
export function columnBatch(schema: Schema, rows: readonly Readonly<Record<string, unknown>>[]): ColumnBatch {
  return {
    rowCount: rows.length,
    columns: schema.fields.map((field) => rows.map((row) => row[field.name] ?? null)),
  }
}

/**
 * Validates rows one at a time straight into a {@link ColumnBatch} of a schema, for a caller that
 * must refuse a bad row alone (an ingest worker's dead letters) yet hand the rows on without
 * validating them again: `Table.appendColumns` takes what {@link ColumnBuilder.take} returns.
 * Each row is checked by the rules of `append` (`coerceValue`); a refused row leaves nothing
 * behind, and {@link ColumnBuilder.truncate} drops rows already added (the other rows of a
 * refused record).
 *
 * @example
 * ```ts
 * const builder = new ColumnBuilder(table.schema())
 * for (const row of rows) {
 *   try { builder.add(row) } catch (error) { deadLetters.push({ row, error }) }
 * }
 * await table.appendColumns([builder.take()], { schemaId: builder.schemaId })
 * ```
 */
export class ColumnBuilder {
  /** The id of the schema the rows are validated against. */
  readonly schemaId: number
  readonly #into: (input: unknown, columns: unknown[][], r: number) => void
  readonly #width: number
  #columns: unknown[][]
  #rowCount = 0

  constructor(schema: Schema) {
    this.schemaId = schema.schemaId
    this.#into = rowCoercion(schema.asStruct())
    this.#width = schema.fields.length
    this.#columns = this.#empty()
  }

  /** Rows added and not yet taken. */
  get rowCount(): number {
    return this.#rowCount
  }

  /** Validates a row and adds it, or throws the `ValidationError` of its first bad field and adds nothing. */
  add(row: unknown): void {
    const r = this.#rowCount
    try {
      this.#into(row, this.#columns, r)
    } catch (error) {
      for (const column of this.#columns) column.length = r
      throw error
    }
    this.#rowCount = r + 1
  }

  /**
   * Adds a row of internal values as they are: `values[start + c]` for field `c`, one per field
   * in field order. For a caller that computed them by the rules of {@link ColumnBuilder.add}
   * itself (an ingest worker reading JSON straight into columns), so nothing is checked but that
   * `values` holds a value for every field.
   */
  addValues(values: readonly unknown[], start = 0): void {
    const width = this.#width
    if (!Number.isInteger(start) || start < 0 || start + width > values.length) {
      throw new ValidationError(`A row needs ${width} values from ${start}; ${values.length} given`, {
        context: { field: 'values' },
      })
    }
    const r = this.#rowCount
    const columns = this.#columns
    for (let c = 0; c < width; c++) columns[c]![r] = values[start + c]
    this.#rowCount = r + 1
  }

  /** Drops the rows from `rowCount` on, keeping the first `rowCount`. */
  truncate(rowCount: number): void {
    if (!Number.isInteger(rowCount) || rowCount < 0 || rowCount > this.#rowCount) {
      throw new ValidationError(`Cannot truncate ${this.#rowCount} rows to ${rowCount}`, {
        context: { field: 'rowCount' },
      })
    }
    for (const column of this.#columns) column.length = rowCount
    this.#rowCount = rowCount
  }

  /** The rows added so far, as a batch that is no longer this builder's; the builder starts empty. */
  take(): ColumnBatch {
    const batch = { rowCount: this.#rowCount, columns: this.#columns }
    this.#columns = this.#empty()
    this.#rowCount = 0
    return batch
  }

  #empty(): unknown[][] {
    return Array.from({ length: this.#width }, () => [])
  }
}

/** The rows at `indexes` of a batch, in that order. */
export function takeRows(batch: ColumnBatch, indexes: readonly number[]): ColumnBatch {
  return {
    rowCount: indexes.length,
    columns: batch.columns.map((column) => {
      const out = new Array<unknown>(indexes.length)
      for (let i = 0; i < indexes.length; i++) out[i] = column[indexes[i]!]
      return out
    }),
  }
}

/**
 * Ranges of batches one after another as one array per column: the arrays of the batch itself
 * when the ranges are all of one batch, else copies.
 */
export function concatRanges(ranges: readonly BatchRange[], width: number): (readonly unknown[])[] {
  const only = ranges.length === 1 ? ranges[0]! : undefined
  if (only && only.start === 0 && only.end === only.batch.rowCount) return [...only.batch.columns]
  const total = ranges.reduce((n, r) => n + r.end - r.start, 0)
  const columns: unknown[][] = []
  for (let c = 0; c < width; c++) {
    const out = new Array<unknown>(total)
    let at = 0
    for (const { batch, start, end } of ranges) {
      const column = batch.columns[c]!
      for (let i = start; i < end; i++) out[at++] = column[i]
    }
    columns.push(out)
  }
  return columns
}

/** Rows `start` to `end` (exclusive) of a batch. */
export interface BatchRange {
  batch: ColumnBatch
  start: number
  end: number
}
