import { type Data, DataType, type RecordBatch } from 'apache-arrow'
import { dataReader } from '../expr/evaluator.js'
import type { Schema } from '../spec/schema.js'
import type { IcebergType } from '../spec/types.js'

/**
 * The rows of a batch as objects of internal values (see `types.ts`), for code that must hand
 * rows back to the writer (a copy-on-write delete, an append of Arrow data). Columns are the
 * schema's top-level fields, matched by name; nested structs, lists and maps are converted
 * through their child data, so a timestamp inside a struct keeps its microseconds.
 */
export function batchToRows(batch: RecordBatch, schema: Schema): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = Array.from({ length: batch.numRows }, () => ({}))
  for (const field of schema.fields) {
    const column = batch.getChild(field.name)
    if (!column) continue
    let base = 0
    for (const data of column.data) {
      const read = reader(data, field.type)
      for (let j = 0; j < data.length; j++) rows[base + j]![field.name] = read(j)
      base += data.length
    }
  }
  return rows
}

/** A reader of any Arrow data as internal values, nulls included. */
export function reader(data: Data, type: IcebergType): (index: number) => unknown {
  const read = valueReader(data, type)
  return (j) => (data.getValid(j) ? read(j) : null)
}

function valueReader(data: Data, type: IcebergType): (index: number) => unknown {
  const arrow = data.type as DataType
  switch (type.kind) {
    case 'struct': {
      const children = type.fields.map((field, i) => {
        const child = DataType.isStruct(arrow)
          ? (data.children[arrow.children.findIndex((c) => c.name === field.name)] ?? data.children[i])
          : undefined
        return { name: field.name, read: child ? reader(child, field.type) : () => null }
      })
      return (j) => Object.fromEntries(children.map((c) => [c.name, c.read(j)]))
    }
    case 'list': {
      const offsets = data.valueOffsets as Int32Array
      const element = reader(data.children[0]!, type.element)
      return (j) => {
        const out: unknown[] = []
        for (let k = offsets[j]!; k < offsets[j + 1]!; k++) out.push(element(k))
        return out
      }
    }
    case 'map': {
      const offsets = data.valueOffsets as Int32Array
      const entries = data.children[0]!
      const key = reader(entries.children[0]!, type.key)
      const value = reader(entries.children[1]!, type.value)
      return (j) => {
        const out = new Map<unknown, unknown>()
        for (let k = offsets[j]!; k < offsets[j + 1]!; k++) out.set(key(k), value(k))
        return out
      }
    }
    default:
      return dataReader(data, type)
  }
}
