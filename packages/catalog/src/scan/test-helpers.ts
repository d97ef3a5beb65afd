/**
 * Helpers shared by the reader's tests: fixture access and Arrow-to-internal-value conversion.
 * Not exported from the package.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { type Data, type DataType, type RecordBatch, Type, type Vector } from 'apache-arrow'
import type { AsyncBuffer } from '../io/file-io.js'

/** A committed Parquet fixture (see `test/fixtures/parquet/generate.py`) as an AsyncBuffer. */
export function fixture(name: string): AsyncBuffer {
  return memoryFile(readFileSync(new URL(`../../test/fixtures/parquet/${name}`, import.meta.url)))
}

/** An AsyncBuffer over bytes in memory; `onSlice` sees every range read. */
export function memoryFile(bytes: Uint8Array, onSlice?: (start: number, end: number) => void): AsyncBuffer {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  return {
    byteLength: buffer.byteLength,
    slice(start: number, end = buffer.byteLength) {
      onSlice?.(start, end)
      return Promise.resolve(buffer.slice(start, end))
    },
  }
}

/** Every batch of an async iterable. */
export async function collect(batches: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = []
  for await (const batch of batches) out.push(batch)
  return out
}

/** The values of a column across batches, as internal values (see `spec/types.ts`), nulls as `null`. */
export function column(batches: readonly RecordBatch[], name: string): unknown[] {
  const out: unknown[] = []
  for (const batch of batches) {
    const vector = batch.getChild(name)
    if (!vector) throw new Error(`no column ${name}`)
    for (const data of vector.data) for (let i = 0; i < data.length; i++) out.push(valueAt(data, i))
  }
  return out
}

/** Rows across batches as plain objects of internal values. */
export function rows(batches: readonly RecordBatch[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const batch of batches) {
    const names = batch.schema.fields.map((f) => f.name)
    const columns = names.map((n) => batch.getChild(n)!.data[0]!)
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, unknown> = {}
      names.forEach((n, c) => {
        row[n] = valueAt(columns[c]!, i)
      })
      out.push(row)
    }
  }
  return out
}

/** The internal value at index `i` of one Arrow data chunk (which may be a slice). */
export function valueAt(data: Data, i: number): unknown {
  if (!data.getValid(i)) return null
  const type = data.type as DataType
  const at = data.offset + i
  switch (type.typeId) {
    case Type.Bool:
      return ((data.values[at >> 3]! >> (at & 7)) & 1) === 1
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
      return (data.values as ArrayLike<unknown>)[i]
    case Type.Decimal: {
      const words = data.values as Uint32Array
      let value = 0n
      for (let w = 3; w >= 0; w--) value = (value << 32n) | BigInt(words[i * 4 + w]!)
      return BigInt.asIntN(128, value)
    }
    case Type.FixedSizeBinary: {
      const width = (type as unknown as { byteWidth: number }).byteWidth
      return (data.values as Uint8Array).slice(i * width, (i + 1) * width)
    }
    case Type.Utf8:
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array
      const bytes = (data.values as Uint8Array).slice(offsets[i]!, offsets[i + 1]!)
      return type.typeId === Type.Utf8 ? new TextDecoder().decode(bytes) : bytes
    }
    case Type.Struct: {
      const out: Record<string, unknown> = {}
      type.children.forEach((field: { name: string }, c: number) => {
        out[field.name] = valueAt(data.children[c]!, i)
      })
      return out
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array
      const child = data.children[0]!
      const out: unknown[] = []
      for (let c = offsets[i]!; c < offsets[i + 1]!; c++) out.push(valueAt(child, c))
      return out
    }
    case Type.Map: {
      const offsets = data.valueOffsets as Int32Array
      const entries = data.children[0]!
      const out = new Map<unknown, unknown>()
      for (let c = offsets[i]!; c < offsets[i + 1]!; c++) {
        out.set(valueAt(entries.children[0]!, c), valueAt(entries.children[1]!, c))
      }
      return out
    }
    default:
      throw new Error(`no test conversion for ${String(type)}`)
  }
}

/** A vector's values as internal values. */
export function vectorValues(vector: Vector): unknown[] {
  const out: unknown[] = []
  for (const data of vector.data) for (let i = 0; i < data.length; i++) out.push(valueAt(data, i))
  return out
}

/** Bytes from hex, for expected values. */
export function hex(text: string): Uint8Array {
  const clean = text.replaceAll('-', '')
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) =>
    Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16),
  )
}
