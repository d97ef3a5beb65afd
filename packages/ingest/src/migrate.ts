/**
 * Rows validated against one schema, carried over to a newer one of the same table when the
 * change only added optional columns (at any depth) and widened int → long or float → double,
 * as `schemaEvolution: 'add-columns'` does: the buffered rows of a worker then need not be
 * dropped and read again when the schema changes under them. Pure: no I/O.
 *
 * @module
 */
import {
  type BatchColumn,
  type ColumnBatch,
  type IcebergType,
  isTypedColumn,
  type NestedField,
  type Schema,
  type TypedColumn,
  TypedColumnBuilder,
  type TypedColumnKind,
  typedKind,
} from '@lake/catalog'

/** Converts one internal value; `null` for the identity. */
type Convert = ((value: unknown) => unknown) | null

/**
 * The batch's rows as rows of `to`, or undefined when `to` is not `from` plus optional fields
 * and promotions (a column dropped, renamed, made required, or changed otherwise): those rows
 * must be validated again from their records.
 */
export function migrateBatch(batch: ColumnBatch, from: Schema, to: Schema): ColumnBatch | undefined {
  const columns = migration(from.fields, to.fields)
  if (!columns) return undefined
  // A batch of a typed builder gets typed columns for new flat fields too, so that the writer
  // joins its columns with those of batches read since without turning them into values.
  const typed = batch.columns.some(isTypedColumn)
  return {
    rowCount: batch.rowCount,
    columns: columns.map((c, i): BatchColumn => {
      if (c.index < 0) {
        const kind = typed ? typedKind(to.fields[i]!.type) : undefined
        return kind === undefined
          ? new Array<unknown>(batch.rowCount).fill(null)
          : typedNulls(kind, batch.rowCount)
      }
      const column = batch.columns[c.index]!
      if (isTypedColumn(column)) {
        // Decided on the layout, as a float widened to a double changes it but not the values.
        const kind = typedKind(to.fields[i]!.type)
        return kind === column.kind ? column : widenTyped(column)
      }
      return c.convert === null ? column : column.map((v) => (v === null ? null : c.convert!(v)))
    }),
  }
}

/** A typed column of `rows` nulls. */
function typedNulls(kind: TypedColumnKind, rows: number): TypedColumn {
  const builder = new TypedColumnBuilder(kind, rows)
  for (let r = 0; r < rows; r++) builder.setNull(r)
  return builder.take()
}

/**
 * A typed int or float column as the long or double column of the same values: the promotions
 * of a flat field that change its layout (see {@link converter}). Longs are written from
 * numbers, without a bigint per row.
 */
function widenTyped(column: TypedColumn): TypedColumn {
  const int = column.kind === 'int32'
  if (!int && column.kind !== 'float32') throw new TypeError(`A typed ${column.kind} column is not widened`)
  const builder = new TypedColumnBuilder(int ? 'int64' : 'float64', column.length)
  const { valid, values } = column
  for (let r = 0; r < column.length; r++) {
    if (valid !== undefined && valid[r] === 0) builder.setNull(r)
    else if (int) builder.setInt64Number(r, values[r]!)
    else builder.setNumber(r, values[r]!)
  }
  return builder.take()
}

/** For each field of `to`: the index of the same field (by id) in `from` (-1: new) and its conversion. */
function migration(
  from: readonly NestedField[],
  to: readonly NestedField[],
): { index: number; convert: Convert }[] | undefined {
  const ids = new Set(to.map((f) => f.id))
  if (from.some((f) => !ids.has(f.id))) return undefined
  const out: { index: number; convert: Convert }[] = []
  for (const field of to) {
    const index = from.findIndex((f) => f.id === field.id)
    if (index < 0) {
      if (field.required) return undefined
      out.push({ index, convert: null })
      continue
    }
    const old = from[index]!
    if (old.name !== field.name || (field.required && !old.required)) return undefined
    const convert = converter(old.type, field.type)
    if (convert === undefined) return undefined
    out.push({ index, convert })
  }
  return out
}

/** The conversion of values of `from` to `to`, null for none, undefined when there is none. */
function converter(from: IcebergType, to: IcebergType): Convert | undefined {
  if (from.kind === 'int' && to.kind === 'long') return (v) => BigInt(v as number)
  if (from.kind === 'float' && to.kind === 'double') return null
  if (from.kind === 'struct' && to.kind === 'struct') {
    const fields = migration(from.fields, to.fields)
    if (!fields) return undefined
    if (fields.every((f, i) => f.index === i && f.convert === null) && fields.length === from.fields.length) {
      return null
    }
    const names = from.fields.map((f) => f.name)
    const plan = to.fields.map((field, i) => ({
      name: field.name,
      from: names[fields[i]!.index],
      ...fields[i]!,
    }))
    return (value) => {
      const old = value as Record<string, unknown>
      const out: Record<string, unknown> = {}
      for (const f of plan) {
        const v = f.from === undefined ? null : (old[f.from] ?? null)
        out[f.name] = v === null || f.convert === null ? v : f.convert(v)
      }
      return out
    }
  }
  if (from.kind === 'list' && to.kind === 'list') {
    if (from.elementId !== to.elementId || (to.elementRequired && !from.elementRequired)) return undefined
    const element = converter(from.element, to.element)
    if (element === undefined || element === null) return element
    return (value) => (value as unknown[]).map((v) => (v === null ? null : element(v)))
  }
  if (from.kind === 'map' && to.kind === 'map') {
    const same = from.keyId === to.keyId && from.valueId === to.valueId
    if (!same || converter(from.key, to.key) !== null) return undefined
    const convert = converter(from.value, to.value)
    if (convert === undefined || convert === null) return convert
    return (value) =>
      new Map([...(value as Map<unknown, unknown>)].map(([k, v]) => [k, v === null ? null : convert(v)]))
  }
  return from.kind === to.kind && JSON.stringify(from) === JSON.stringify(to) ? null : undefined
}
