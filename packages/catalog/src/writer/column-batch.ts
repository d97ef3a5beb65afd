/**
 * Rows in the form every layer of writing passes them on: one array of internal values per
 * top-level field, which is what hyparquet-writer encodes, so validated rows reach the encoder
 * without an object per row or a transpose in between.
 *
 * @module
 */
import type { Schema } from '../spec/schema.js'

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
