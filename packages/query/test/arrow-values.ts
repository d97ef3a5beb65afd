/** Reads Arrow data back to plain, exact JS values for assertions: integers of 64 bits and decimals as bigints. */
import { type Data, makeVector, type RecordBatch, type Table, Type } from 'apache-arrow'

export function valueAt(data: Data, i: number): unknown {
  if (!data.getValid(i)) return null
  const type = data.type
  const values = data.values as ArrayLike<number | bigint>
  switch (type.typeId) {
    case Type.Null:
      return null
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration:
    case Type.Interval:
      return values[i]
    case Type.Decimal: {
      const words = data.values as Uint32Array
      let value = 0n
      for (let w = 3; w >= 0; w--) value = (value << 32n) | BigInt(words[i * 4 + w]!)
      return BigInt.asIntN(128, value)
    }
    case Type.Binary:
    case Type.FixedSizeBinary:
      return Buffer.from(makeVector(data).get(i) as Uint8Array).toString('hex')
    case Type.Utf8:
    case Type.Bool:
      return makeVector(data).get(i)
    case Type.Struct:
      return Object.fromEntries(
        type.children.map((f: { name: string }, c: number) => [f.name, valueAt(data.children[c]!, i)]),
      )
    case Type.List: {
      const offsets = data.valueOffsets
      const out: unknown[] = []
      for (let j = offsets[i]!; j < offsets[i + 1]!; j++) out.push(valueAt(data.children[0]!, j))
      return out
    }
    case Type.Map: {
      const offsets = data.valueOffsets
      const entries = data.children[0]!
      const out: [unknown, unknown][] = []
      for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
        out.push([valueAt(entries.children[0]!, j), valueAt(entries.children[1]!, j)])
      }
      return out
    }
    default:
      throw new Error(`no reader for ${type}`)
  }
}

/** Rows of a table or batch as objects of exact values. */
export function rowsOf(source: Table | RecordBatch): Record<string, unknown>[] {
  const batches = 'batches' in source ? source.batches : [source]
  const rows: Record<string, unknown>[] = []
  for (const batch of batches) {
    for (let r = 0; r < batch.numRows; r++) {
      rows.push(
        Object.fromEntries(batch.schema.fields.map((f, c) => [f.name, valueAt(batch.data.children[c]!, r)])),
      )
    }
  }
  return rows
}
