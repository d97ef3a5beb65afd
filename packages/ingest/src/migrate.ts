/**
 * Rows validated against one schema, carried over to a newer one of the same table when the
 * change only added optional columns (at any depth) and widened int → long or float → double,
 * as `schemaEvolution: 'add-columns'` does: the buffered rows of a worker then need not be
 * dropped and read again when the schema changes under them. Pure: no I/O.
 *
 * @module
 */
import type { ColumnBatch, IcebergType, NestedField, Schema } from '@lake/catalog'

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
  return {
    rowCount: batch.rowCount,
    columns: columns.map((c) => {
      if (c.index < 0) return new Array<unknown>(batch.rowCount).fill(null)
      const column = batch.columns[c.index]!
      return c.convert === null ? column : column.map((v) => (v === null ? null : c.convert!(v)))
    }),
  }
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
