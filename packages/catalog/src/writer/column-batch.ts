/**
 * Rows in the form every layer of writing passes them on: one column per top-level field, an
 * array of internal values (what hyparquet-writer encodes) or, for a flat field, typed arrays
 * (`typed-column.ts`, what Lake's flat column writer encodes without a value per row), so
 * validated rows reach the encoder without an object per row or a transpose in between.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import type { Schema } from '../spec/schema.js'
import type { IcebergType } from '../spec/types.js'
import { rowCoercion } from '../spec/values.js'
import type { Lender } from './scratch.js'
import {
  type BatchColumn,
  concatTyped,
  isTypedColumn,
  TypedColumnBuilder,
  type TypedRange,
  takeTyped,
  typedKind,
  typedValueAt,
} from './typed-column.js'

/**
 * Rows of internal values (see `types.ts`) as one column per top-level field of the schema, in
 * the schema's field order: an array of `rowCount` values (`null` for a null), or for a flat
 * field a `TypedColumn` of `rowCount` rows. Columns are shared, never copied, between the layers
 * of writing, so none may be changed once handed over.
 */
export interface ColumnBatch {
  readonly rowCount: number
  readonly columns: readonly BatchColumn[]
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
  /** Per field, its typed column when the builder is typed and the field flat. */
  readonly #typed: readonly (TypedColumnBuilder | undefined)[]
  /** One row's values, for a typed builder to convert once the whole row is valid. */
  readonly #row: unknown[][]
  #columns: unknown[][]
  #rowCount = 0
  /** The rows the last {@link ColumnBuilder.view} holds, which `truncate` keeps. */
  #viewed = 0

  /**
   * `typed`: hold the flat fields in typed arrays (see `TypedColumn`), so that the batches taken
   * hold no JavaScript value per row for them; the other fields stay arrays of values.
   */
  constructor(schema: Schema, options: { typed?: boolean } = {}) {
    this.schemaId = schema.schemaId
    this.#into = rowCoercion(schema.asStruct())
    this.#width = schema.fields.length
    this.#typed = schema.fields.map((field) => {
      const kind = options.typed ? typedKind(field.type) : undefined
      return kind === undefined ? undefined : new TypedColumnBuilder(kind)
    })
    this.#row = this.#typed.some((t) => t !== undefined)
      ? Array.from({ length: this.#width }, () => [null])
      : []
    this.#columns = this.#empty()
  }

  /** Rows added and not yet taken. */
  get rowCount(): number {
    return this.#rowCount
  }

  /** Validates a row and adds it, or throws the `ValidationError` of its first bad field and adds nothing. */
  add(row: unknown): void {
    const r = this.#rowCount
    if (this.#row.length > 0) {
      // Typed columns are written once the whole row is valid.
      this.#into(row, this.#row, 0)
      for (let c = 0; c < this.#width; c++) this.setValue(c, this.#row[c]![0])
      this.#rowCount = r + 1
      return
    }
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
    for (let c = 0; c < width; c++) this.setValue(c, values[start + c])
    this.#rowCount++
  }

  /**
   * The typed column of field `c` when this builder is typed and the field flat, for a reader
   * that writes row {@link ColumnBuilder.rowCount} of it itself (see {@link ColumnBuilder.endRow}).
   */
  typedColumn(c: number): TypedColumnBuilder | undefined {
    return this.#typed[c]
  }

  /**
   * Sets field `c` of row {@link ColumnBuilder.rowCount}, not yet added, to an internal value
   * computed by the rules of {@link ColumnBuilder.add}; nothing is checked. A reader writing rows
   * field by field sets every field once (this, or its typed column's setters), then calls
   * {@link ColumnBuilder.endRow}; or it drops what it wrote with `truncate(rowCount)`.
   */
  setValue(c: number, value: unknown): void {
    const r = this.#rowCount
    const typed = this.#typed[c]
    if (typed === undefined) {
      this.#columns[c]![r] = value
      return
    }
    if (value === null || value === undefined) typed.setNull(r)
    else if (typed.kind === 'boolean') typed.setBoolean(r, value as boolean)
    else if (typed.kind === 'int64') typed.setInt64(r, value as bigint)
    else if (typed.kind === 'bytes') {
      if (typeof value === 'string') typed.setString(r, value)
      else typed.setBytes(r, value as Uint8Array, 0, (value as Uint8Array).byteLength)
    } else typed.setNumber(r, typeof value === 'bigint' ? Number(value) : (value as number))
  }

  /** Adds the row whose every field was set (see {@link ColumnBuilder.setValue}). */
  endRow(): void {
    this.#rowCount++
  }

  /** Drops the rows from `rowCount` on, keeping the first `rowCount`, and any row being set. */
  truncate(rowCount: number): void {
    if (!Number.isInteger(rowCount) || rowCount < this.#viewed || rowCount > this.#rowCount) {
      const viewed = this.#viewed > 0 ? `, of which ${this.#viewed} are viewed,` : ''
      throw new ValidationError(`Cannot truncate ${this.#rowCount} rows${viewed} to ${rowCount}`, {
        context: { field: 'rowCount' },
      })
    }
    // A typed field's array stays empty: given a length, it would hold a hole for every row.
    for (let c = 0; c < this.#width; c++) if (!this.#typed[c]) this.#columns[c]!.length = rowCount
    for (const typed of this.#typed) typed?.truncate(Math.min(rowCount, typed.length))
    this.#rowCount = rowCount
  }

  /**
   * The rows added so far as a batch over the typed columns' arrays rather than copies of them
   * (the other fields' values are copied): for a caller that fills the builder once, hands its
   * rows on, and calls {@link ColumnBuilder.clear} to use the arrays again only when nothing
   * holds the batch any more. Rows may be added after it; the builder refuses to `truncate` the
   * rows it viewed, which the batch would see change.
   */
  view(): ColumnBatch {
    this.truncate(this.#rowCount)
    const rowCount = this.#rowCount
    const columns: BatchColumn[] = this.#columns.map(
      (column, c) => this.#typed[c]?.view() ?? column.slice(0, rowCount),
    )
    this.#viewed = rowCount
    return { rowCount, columns }
  }

  /** Empties the builder, keeping its typed columns' arrays to fill again; every batch {@link ColumnBuilder.view} gave is then invalid. */
  clear(): void {
    for (const typed of this.#typed) typed?.clear()
    this.#columns = this.#empty()
    this.#rowCount = 0
    this.#viewed = 0
  }

  /**
   * The rows added so far, as a batch that is no longer this builder's; the builder starts empty
   * (and, as with {@link ColumnBuilder.clear}, a batch {@link ColumnBuilder.view} gave is invalid).
   */
  take(): ColumnBatch {
    // A row set but not ended is not taken.
    this.truncate(this.#rowCount)
    const columns: BatchColumn[] = this.#columns.map((column, c) => this.#typed[c]?.take() ?? column)
    const batch = { rowCount: this.#rowCount, columns }
    this.#columns = this.#empty()
    this.#rowCount = 0
    this.#viewed = 0
    return batch
  }

  #empty(): unknown[][] {
    return Array.from({ length: this.#width }, () => [])
  }
}

/** The rows at `indexes` of a batch, in that order; a typed column stays typed. */
export function takeRows(batch: ColumnBatch, indexes: readonly number[]): ColumnBatch {
  return {
    rowCount: indexes.length,
    columns: batch.columns.map((column) => {
      if (isTypedColumn(column)) return takeTyped(column, indexes)
      const out = new Array<unknown>(indexes.length)
      for (let i = 0; i < indexes.length; i++) out[i] = column[indexes[i]!]
      return out
    }),
  }
}

/**
 * Ranges of batches one after another as one column per field of `types` (the schema's field
 * types): the columns of the batch itself when the ranges are one whole batch, else copies. A
 * field whose ranges are all typed alike stays typed (its arrays from `lender`, see `concatTyped`);
 * one mixing typed and array columns (batches of typed and untyped builders) becomes an
 * array of internal values.
 */
export function concatRanges(
  ranges: readonly BatchRange[],
  types: readonly IcebergType[],
  lender?: Lender,
): BatchColumn[] {
  const only = ranges.length === 1 ? ranges[0]! : undefined
  if (only && only.start === 0 && only.end === only.batch.rowCount) return [...only.batch.columns]
  return types.map((type, c) => {
    const typed: TypedRange[] = []
    for (const { batch, start, end } of ranges) {
      const column = batch.columns[c]!
      if (!isTypedColumn(column) || column.kind !== (typed[0]?.column.kind ?? column.kind)) break
      typed.push({ column, start, end })
    }
    return typed.length === ranges.length ? concatTyped(typed, lender) : concatValues(ranges, c, type)
  })
}

/** Column `c` of ranges of batches as one array of internal values. */
function concatValues(ranges: readonly BatchRange[], c: number, type: IcebergType): unknown[] {
  const out = new Array<unknown>(ranges.reduce((n, r) => n + r.end - r.start, 0))
  let at = 0
  for (const { batch, start, end } of ranges) {
    const column = batch.columns[c]!
    if (isTypedColumn(column)) for (let i = start; i < end; i++) out[at++] = typedValueAt(column, type, i)
    else for (let i = start; i < end; i++) out[at++] = column[i]
  }
  return out
}

/** Rows `start` to `end` (exclusive) of a batch. */
export interface BatchRange {
  batch: ColumnBatch
  start: number
  end: number
}
