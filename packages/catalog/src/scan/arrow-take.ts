/**
 * A `take` kernel for the Arrow data the reader builds: the rows at given indices, copied into
 * fresh buffers. apache-arrow's JS library has no compute kernels, and deletes and residual
 * filters need exactly this one.
 *
 * Only the types {@link typeToArrow} produces are handled, and only data that starts at offset 0
 * (as the reader builds it, before slicing).
 *
 * @module
 */
import { type Data, type DataType, makeData, RecordBatch, type Struct, Type } from 'apache-arrow'

/** The rows of `batch` at `indices` (ascending or not), as a new batch with the same schema. */
export function takeRows(batch: RecordBatch, indices: Int32Array): RecordBatch {
  const children = batch.data.children.map((child) => takeData(child, indices))
  const data = makeData({
    type: batch.data.type as Struct,
    length: indices.length,
    nullCount: 0,
    children,
  })
  return new RecordBatch(batch.schema, data)
}

/** The values of `data` (which must start at offset 0) at `indices`. */
export function takeData(data: Data, indices: Int32Array): Data {
  if (data.offset !== 0) throw new RangeError('takeData needs data that starts at offset 0')
  const length = indices.length
  const { bitmap, nullCount } = takeValidity(data, indices)
  const base = {
    type: data.type as DataType,
    length,
    nullCount,
    ...(nullCount > 0 ? { nullBitmap: bitmap } : {}),
  }
  const type = data.type as DataType
  switch (type.typeId) {
    case Type.Bool:
      return make({ ...base, data: takeBits(data.values as Uint8Array, indices) })
    case Type.Utf8:
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array
      const values = data.values as Uint8Array
      const out = new Int32Array(length + 1)
      let total = 0
      for (let i = 0; i < length; i++) {
        const j = indices[i]!
        total += offsets[j + 1]! - offsets[j]!
        out[i + 1] = total
      }
      const bytes = new Uint8Array(total)
      for (let i = 0; i < length; i++) {
        const j = indices[i]!
        bytes.set(values.subarray(offsets[j]!, offsets[j + 1]!), out[i]!)
      }
      return make({ ...base, data: bytes, valueOffsets: out })
    }
    case Type.Struct:
      return make({ ...base, children: data.children.map((child) => takeData(child, indices)) })
    case Type.List:
    case Type.Map: {
      const offsets = data.valueOffsets as Int32Array
      const out = new Int32Array(length + 1)
      let total = 0
      for (let i = 0; i < length; i++) {
        const j = indices[i]!
        total += offsets[j + 1]! - offsets[j]!
        out[i + 1] = total
      }
      const childIndices = new Int32Array(total)
      for (let i = 0, k = 0; i < length; i++) {
        const j = indices[i]!
        for (let c = offsets[j]!; c < offsets[j + 1]!; c++) childIndices[k++] = c
      }
      const child = takeData(data.children[0]!, childIndices)
      return make({ ...base, valueOffsets: out, child })
    }
    default:
      return make({ ...base, data: takeFixed(type, data.values as ArrayBufferView, indices) })
  }
}

function takeValidity(data: Data, indices: Int32Array): { bitmap: Uint8Array; nullCount: number } {
  const length = indices.length
  const source = data.nullBitmap
  if (data.nullCount === 0 || !source || source.length === 0)
    return { bitmap: new Uint8Array(0), nullCount: 0 }
  const bitmap = takeBits(source, indices)
  let valid = 0
  for (let i = 0; i < length; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) valid++
  return { bitmap, nullCount: length - valid }
}

function takeBits(source: Uint8Array, indices: Int32Array): Uint8Array {
  const out = new Uint8Array((indices.length + 7) >> 3)
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!
    if (source[j >> 3]! & (1 << (j & 7))) out[i >> 3]! |= 1 << (i & 7)
  }
  return out
}

function takeFixed(type: DataType, values: ArrayBufferView, indices: Int32Array): ArrayBufferView {
  const width = byteWidth(type, values)
  const length = indices.length
  const Ctor = values.constructor as new (buffer: ArrayBuffer) => ArrayBufferView
  if (width % 4 === 0) {
    const k = width >> 2
    const src = new Uint32Array(values.buffer, values.byteOffset, values.byteLength >> 2)
    const out = new Uint32Array(length * k)
    for (let i = 0; i < length; i++) {
      const o = i * k
      const p = indices[i]! * k
      for (let j = 0; j < k; j++) out[o + j] = src[p + j]!
    }
    return new Ctor(out.buffer)
  }
  const src = new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
  const out = new Uint8Array(length * width)
  for (let i = 0; i < length; i++) {
    const p = indices[i]! * width
    out.set(src.subarray(p, p + width), i * width)
  }
  return out
}

function byteWidth(type: DataType, values: ArrayBufferView): number {
  const element = (values as Uint8Array).BYTES_PER_ELEMENT
  if (type.typeId === Type.FixedSizeBinary) return (type as unknown as { byteWidth: number }).byteWidth
  if (type.typeId === Type.Decimal) return 16
  return element
}

function make(props: { type: DataType; length: number } & Record<string, unknown>): Data {
  return makeData(props as never) as Data
}
