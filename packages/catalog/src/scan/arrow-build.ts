/**
 * Dremel levels to Arrow buffers: builds the Arrow data of one row group from decoded column
 * chunks and the projection's {@link ReaderNode}s, without materialising a JS value per row for
 * flat columns. This is the hot path of every scan.
 *
 * A node's *slots* are the Arrow array positions it fills. For a node at repetition depth `R`
 * whose slots need definition level `D`, entry `i` of any column below it opens a slot when
 * `rep[i] ≤ R` and `def[i] ≥ D`; the slot is valid when `def[i]` reaches the node's own level.
 * A list opens an element slot for each entry with `rep[i] ≤ R + 1` and `def[i]` at the repeated
 * node's level, which yields its offsets in the same pass.
 *
 * @module
 */
import { CorruptFileError } from '@lake/errors'
import { type Data, type DataType, type Field, makeData, type Struct, Type } from 'apache-arrow'
import { uuidToBytes } from '../spec/conversions.js'
import type { IcebergType, NestedField, PrimitiveType } from '../spec/types.js'
import { defaultValue } from './defaults.js'
import { type ByteArrays, isByteArrays, type LeafChunk } from './parquet-chunk.js'
import type { Conversion, ListNode, PrimitiveNode, ReaderNode, StructNode } from './projection.js'

/** Shared state of one row group's build, for error messages. */
interface BuildContext {
  readonly chunks: readonly LeafChunk[]
  readonly path: string
}

/**
 * Builds the Arrow data of each projected field for one row group of `rows` rows. `fields` are
 * the Arrow fields of the projected schema, in the same order as `nodes`.
 */
export function buildRowGroup(
  nodes: readonly ReaderNode[],
  fields: readonly Field[],
  chunks: readonly LeafChunk[],
  rows: number,
  path: string,
): Data[] {
  const context = { chunks, path }
  return nodes.map((node, i) => build(node, fields[i]!.type, rows, context))
}

function build(node: ReaderNode, type: DataType, length: number, context: BuildContext): Data {
  switch (node.kind) {
    case 'primitive':
      return buildPrimitive(node, type, length, context)
    case 'struct':
      return buildStruct(node, type, length, context)
    case 'list':
    case 'map':
      return buildList(node, type, length, context)
    case 'absent':
      return absentData(node.type, type, length, node.initialDefault, node.name)
  }
}

// ---------------------------------------------------------------------------------------------
// Nested nodes

function buildStruct(node: StructNode, type: DataType, length: number, context: BuildContext): Data {
  const chunk = context.chunks[node.levels]!
  const { def, rep, count } = chunk
  const R = node.slotRep
  const D = node.slotDef
  const V = node.validDef
  let bitmap: Uint8Array | undefined
  let nullCount = 0
  let slots = 0
  if (def === null && rep === null) {
    slots = count
  } else {
    bitmap = new Uint8Array((length + 7) >> 3)
    for (let i = 0; i < count; i++) {
      if (rep !== null && rep[i]! > R) continue
      const d = def === null ? 255 : def[i]!
      if (d < D) continue
      if (slots >= length) break
      if (d >= V) bitmap[slots >> 3]! |= 1 << (slots & 7)
      else nullCount++
      slots++
    }
  }
  checkLength(slots, length, context, 'struct')
  const children = (type as Struct).children.map((field, i) =>
    build(node.children[i]!, field.type, length, context),
  )
  return make({
    type: type as Struct,
    length,
    nullCount,
    ...(nullCount > 0 ? { nullBitmap: bitmap! } : {}),
    children,
  })
}

function buildList(node: ListNode, type: DataType, length: number, context: BuildContext): Data {
  const chunk = context.chunks[node.levels]!
  const { def, rep, count } = chunk
  const R = node.slotRep
  const D = node.slotDef
  const V = node.validDef
  const ER = node.elementRep
  const ED = node.elementDef
  if (rep === null) throw corrupt(context, 'a list column has no repetition levels')
  const offsets = new Int32Array(length + 1)
  const bitmap = new Uint8Array((length + 7) >> 3)
  let nullCount = 0
  let slots = 0
  let elements = 0
  for (let i = 0; i < count; i++) {
    const r = rep[i]!
    const d = def === null ? 255 : def[i]!
    if (r <= R && d >= D) {
      if (slots >= length) throw corrupt(context, `a list has more than the ${length} values expected`)
      offsets[slots] = elements
      if (d >= V) bitmap[slots >> 3]! |= 1 << (slots & 7)
      else nullCount++
      slots++
    }
    if (r <= ER && d >= ED) elements++
  }
  checkLength(slots, length, context, 'list')
  offsets[slots] = elements
  const childField = (type as DataType).children[0]! as Field
  let child: Data
  if (node.kind === 'map') {
    const entries = childField.type as Struct
    const [key, value] = entries.children
    child = make({
      type: entries,
      length: elements,
      nullCount: 0,
      children: [
        build(node.children[0]!, key!.type, elements, context),
        build(node.children[1]!, value!.type, elements, context),
      ],
    })
  } else {
    child = build(node.children[0]!, childField.type, elements, context)
  }
  return make({
    type,
    length,
    nullCount,
    ...(nullCount > 0 ? { nullBitmap: bitmap } : {}),
    valueOffsets: offsets,
    child,
  })
}

// ---------------------------------------------------------------------------------------------
// Primitives

/** Bytes per value of fixed-width Arrow types, in 32-bit words. */
function wordsPerValue(type: PrimitiveType): number {
  switch (type.kind) {
    case 'int':
    case 'date':
    case 'float':
      return 1
    case 'decimal':
      return 4
    default:
      return 2
  }
}

function buildPrimitive(node: PrimitiveNode, type: DataType, length: number, context: BuildContext): Data {
  const chunk = context.chunks[node.column]!
  switch (node.type.kind) {
    case 'boolean':
      return buildBoolean(node, type, chunk, length, context)
    case 'string':
    case 'binary':
      return buildVariable(node, type, chunk, length, context)
    case 'uuid':
    case 'fixed': {
      const width = node.type.kind === 'fixed' ? node.type.length : 16
      if (chunk.width !== width)
        throw corrupt(context, `'${node.name}' holds ${chunk.width}-byte values, not ${width}`)
      return finishFixed(node, type, chunk, length, context, chunk.values as Uint8Array, width)
    }
    default: {
      const words = wordsPerValue(node.type)
      const dense = convertWords(node.conversion, chunk, words, context)
      return finishFixed(node, type, chunk, length, context, dense, words * 4)
    }
  }
}

/** Places dense fixed-width values (`width` bytes each) in their slots and wraps them. */
function finishFixed(
  node: PrimitiveNode,
  type: DataType,
  chunk: LeafChunk,
  length: number,
  context: BuildContext,
  dense: Uint8Array,
  width: number,
): Data {
  const { def, count } = chunk
  if (def === null) {
    checkLength(count, length, context, node.name)
    return make({ type, length, nullCount: 0, data: view(type, dense) })
  }
  const bitmap = new Uint8Array((length + 7) >> 3)
  const D = node.slotDef
  const V = node.validDef
  let slots = 0
  let nullCount = 0
  let out: Uint8Array
  if (width % 4 === 0) {
    // Copy 32-bit words: one monomorphic loop for every type but fixed[L].
    const k = width >> 2
    const src = new Uint32Array(dense.buffer, dense.byteOffset, dense.byteLength >> 2)
    const dst = new Uint32Array(length * k)
    let v = 0
    for (let i = 0; i < count; i++) {
      const d = def[i]!
      if (d < D) continue
      if (slots >= length) throw corrupt(context, `column '${node.name}' has more values than expected`)
      if (d >= V) {
        bitmap[slots >> 3]! |= 1 << (slots & 7)
        const o = slots * k
        const p = v * k
        for (let j = 0; j < k; j++) dst[o + j] = src[p + j]!
        v++
      } else {
        nullCount++
      }
      slots++
    }
    out = new Uint8Array(dst.buffer)
  } else {
    out = new Uint8Array(length * width)
    let v = 0
    for (let i = 0; i < count; i++) {
      const d = def[i]!
      if (d < D) continue
      if (slots >= length) throw corrupt(context, `column '${node.name}' has more values than expected`)
      if (d >= V) {
        bitmap[slots >> 3]! |= 1 << (slots & 7)
        out.set(dense.subarray(v * width, (v + 1) * width), slots * width)
        v++
      } else {
        nullCount++
      }
      slots++
    }
  }
  checkLength(slots, length, context, node.name)
  return make({
    type,
    length,
    nullCount,
    ...(nullCount > 0 ? { nullBitmap: bitmap } : {}),
    data: view(type, out),
  })
}

function buildBoolean(
  node: PrimitiveNode,
  type: DataType,
  chunk: LeafChunk,
  length: number,
  context: BuildContext,
): Data {
  const values = chunk.values as Uint8Array
  const { def, count } = chunk
  const data = new Uint8Array((length + 7) >> 3)
  if (def === null) {
    checkLength(count, length, context, node.name)
    for (let i = 0; i < count; i++) if (values[i]) data[i >> 3]! |= 1 << (i & 7)
    return make({ type, length, nullCount: 0, data })
  }
  const bitmap = new Uint8Array((length + 7) >> 3)
  const D = node.slotDef
  const V = node.validDef
  let slots = 0
  let nullCount = 0
  let v = 0
  for (let i = 0; i < count; i++) {
    const d = def[i]!
    if (d < D) continue
    if (slots >= length) throw corrupt(context, `column '${node.name}' has more values than expected`)
    if (d >= V) {
      bitmap[slots >> 3]! |= 1 << (slots & 7)
      if (values[v++]) data[slots >> 3]! |= 1 << (slots & 7)
    } else {
      nullCount++
    }
    slots++
  }
  checkLength(slots, length, context, node.name)
  return make({
    type,
    length,
    nullCount,
    ...(nullCount > 0 ? { nullBitmap: bitmap } : {}),
    data,
  })
}

function buildVariable(
  node: PrimitiveNode,
  type: DataType,
  chunk: LeafChunk,
  length: number,
  context: BuildContext,
): Data {
  // Dense values are already Arrow's layout: with no nulls they are the column; with nulls,
  // only the offsets spread out (a null adds no bytes).
  const dense = byteArrays(chunk)
  const { def, count } = chunk
  if (def === null) {
    checkLength(count, length, context, node.name)
    return make({ type, length, nullCount: 0, data: dense.data, valueOffsets: dense.offsets })
  }
  const source = dense.offsets
  const offsets = new Int32Array(length + 1)
  const bitmap = new Uint8Array((length + 7) >> 3)
  const D = node.slotDef
  const V = node.validDef
  let slots = 0
  let nullCount = 0
  let v = 0
  for (let i = 0; i < count; i++) {
    const d = def[i]!
    if (d < D) continue
    if (slots >= length) throw corrupt(context, `column '${node.name}' has more values than expected`)
    if (d >= V) {
      bitmap[slots >> 3]! |= 1 << (slots & 7)
      v++
    } else {
      nullCount++
    }
    offsets[++slots] = source[v]!
  }
  checkLength(slots, length, context, node.name)
  return make({
    type,
    length,
    nullCount,
    ...(nullCount > 0 ? { nullBitmap: bitmap } : {}),
    data: dense.data,
    valueOffsets: offsets,
  })
}

/** A chunk's values as packed bytes and offsets (fixed-length values read as `binary` included). */
function byteArrays(chunk: LeafChunk): ByteArrays {
  if (isByteArrays(chunk.values)) return chunk.values
  const data = chunk.values as Uint8Array
  const width = chunk.width
  const n = data.length / width
  const offsets = new Int32Array(n + 1)
  for (let i = 1; i <= n; i++) offsets[i] = i * width
  return { data, offsets }
}

/** Converts dense decoded values to the little-endian bytes of the target type, `words` 32-bit words each. */
function convertWords(
  conversion: Conversion,
  chunk: LeafChunk,
  words: number,
  context: BuildContext,
): Uint8Array {
  const values: unknown = chunk.values
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  switch (conversion) {
    case 'int32':
      return bytes(typed(values, Int32Array))
    case 'int64':
      return bytes(typed(values, BigInt64Array))
    case 'float':
      return bytes(typed(values, Float32Array))
    case 'double':
      return bytes(typed(values, Float64Array))
    case 'floatToDouble':
      return bytes(Float64Array.from(typed(values, Float32Array)))
    case 'int32ToInt64':
    case 'decimalFromInt32': {
      const src = typed(values, Int32Array)
      const out = new Int32Array(src.length * words)
      for (let i = 0, o = 0; i < src.length; i++, o += words) {
        const v = src[i]!
        const sign = v >> 31
        out[o] = v
        for (let j = 1; j < words; j++) out[o + j] = sign
      }
      return bytes(out)
    }
    case 'decimalFromInt64': {
      const src64 = typed(values, BigInt64Array)
      const src = new Int32Array(src64.buffer, src64.byteOffset, src64.length * 2)
      const out = new Int32Array(src64.length * 4)
      for (let i = 0; i < src64.length; i++) {
        const hi = src[2 * i + 1]!
        out[4 * i] = src[2 * i]!
        out[4 * i + 1] = hi
        out[4 * i + 2] = hi >> 31
        out[4 * i + 3] = hi >> 31
      }
      return bytes(out)
    }
    case 'decimalFromBytes': {
      // Big-endian two's complement, of a fixed width or each its own length.
      const { data, offsets } = byteArrays(chunk)
      const n = offsets.length - 1
      const out = new Uint8Array(n * 16)
      for (let i = 0; i < n; i++) {
        const from = offsets[i]!
        const size = offsets[i + 1]! - from
        if (size > 16) throw corrupt(context, `a decimal value has ${size} bytes, more than 16`)
        const o = i * 16
        for (let j = 0; j < size; j++) out[o + j] = data[from + size - 1 - j]!
        if (size > 0 && data[from]! & 0x80) out.fill(0xff, o + size, o + 16)
      }
      return out
    }
    case 'timeFromMillis': {
      const src = typed(values, Int32Array)
      const out = new Uint32Array(src.length * 2)
      for (let i = 0; i < src.length; i++) {
        const micros = src[i]! * 1000
        const hi = Math.floor(micros / 4294967296)
        out[2 * i] = micros - hi * 4294967296
        out[2 * i + 1] = hi
      }
      return bytes(out)
    }
    case 'timestampFromMillis': {
      const src = typed(values, BigInt64Array)
      const out = new BigInt64Array(src.length)
      for (let i = 0; i < src.length; i++) out[i] = src[i]! * 1000n
      return bytes(out)
    }
    case 'timestampFromNanos': {
      const src = typed(values, BigInt64Array)
      const out = new BigInt64Array(src.length)
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!
        const q = v / 1000n
        out[i] = v % 1000n < 0n ? q - 1n : q
      }
      return bytes(out)
    }
    case 'timestampFromInt96': {
      const src = values as ArrayLike<bigint>
      const out = new BigInt64Array(src.length)
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!
        const days = v >> 64n
        const nanos = v & 0xffffffffffffffffn
        out[i] = (days - 2440588n) * 86400000000n + nanos / 1000n
      }
      return bytes(out)
    }
    default:
      throw corrupt(context, `no ${conversion} conversion for fixed-width values`)
  }
}

type TypedArrayOf<T> = T extends new (n: number) => infer A ? A : never

/** `values` as the typed array hyparquet normally returns, converting rare plain arrays. */
function typed<
  C extends
    | Int32ArrayConstructor
    | BigInt64ArrayConstructor
    | Float32ArrayConstructor
    | Float64ArrayConstructor,
>(values: unknown, ctor: C): TypedArrayOf<C> {
  if (values instanceof ctor) return values as TypedArrayOf<C>
  const source = values as ArrayLike<number & bigint>
  const out = new ctor(source.length) as TypedArrayOf<C>
  for (let i = 0; i < source.length; i++) (out as unknown as (number | bigint)[])[i] = source[i]!
  return out
}

/** The typed array Arrow expects for `type`, over the same bytes. */
function view(type: DataType, bytes: Uint8Array): ArrayBufferView {
  switch (type.typeId) {
    case Type.Int:
    case Type.Date:
      return type.ArrayType === BigInt64Array
        ? new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3)
        : new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2)
    case Type.Float:
      return type.ArrayType === Float32Array
        ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2)
        : new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3)
    case Type.Time:
    case Type.Timestamp:
      return new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 3)
    case Type.Decimal:
      return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2)
    default:
      return bytes
  }
}

// ---------------------------------------------------------------------------------------------
// Fields the file does not have

/**
 * Data for a field absent from a file: all nulls, or the field's initial default in every row.
 * A struct with a default is present, its fields filled by their own defaults.
 */
export function absentData(
  type: IcebergType,
  arrowType: DataType,
  length: number,
  initial: unknown,
  name: string,
): Data {
  if (initial === undefined || initial === null) return nullData(arrowType, length)
  if (type.kind === 'struct') {
    const children = type.fields.map((f: NestedField, i) =>
      absentData(
        f.type,
        (arrowType as Struct).children[i]!.type,
        length,
        f.initialDefault,
        `${name}.${f.name}`,
      ),
    )
    return make({ type: arrowType as Struct, length, nullCount: 0, children })
  }
  if (type.kind === 'list' || type.kind === 'map') return nullData(arrowType, length)
  return constantData(type, arrowType, defaultValue(type, initial, name), length)
}

function constantData(type: PrimitiveType, arrowType: DataType, value: unknown, length: number): Data {
  switch (type.kind) {
    case 'boolean':
      return make({
        type: arrowType,
        length,
        nullCount: 0,
        data: new Uint8Array((length + 7) >> 3).fill(value ? 0xff : 0),
      })
    case 'string':
    case 'binary': {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : (value as Uint8Array)
      const data = new Uint8Array(bytes.length * length)
      const offsets = new Int32Array(length + 1)
      for (let i = 0; i < length; i++) {
        data.set(bytes, i * bytes.length)
        offsets[i + 1] = (i + 1) * bytes.length
      }
      return make({ type: arrowType, length, nullCount: 0, data, valueOffsets: offsets })
    }
    default: {
      const one = fixedWidthBytes(type, value)
      const data = new Uint8Array(one.length * length)
      for (let i = 0; i < length; i++) data.set(one, i * one.length)
      return make({ type: arrowType, length, nullCount: 0, data: view(arrowType, data) })
    }
  }
}

function fixedWidthBytes(type: PrimitiveType, value: unknown): Uint8Array {
  const buffer = new ArrayBuffer(16)
  const dv = new DataView(buffer)
  switch (type.kind) {
    case 'int':
    case 'date':
      dv.setInt32(0, value as number, true)
      return new Uint8Array(buffer, 0, 4)
    case 'float':
      dv.setFloat32(0, value as number, true)
      return new Uint8Array(buffer, 0, 4)
    case 'double':
      dv.setFloat64(0, value as number, true)
      return new Uint8Array(buffer, 0, 8)
    case 'decimal': {
      const v = BigInt.asUintN(128, value as bigint)
      dv.setBigUint64(0, v & 0xffffffffffffffffn, true)
      dv.setBigUint64(8, v >> 64n, true)
      return new Uint8Array(buffer)
    }
    case 'uuid':
      return uuidToBytes(value as string)
    case 'fixed':
      return value as Uint8Array
    default:
      dv.setBigInt64(0, value as bigint, true)
      return new Uint8Array(buffer, 0, 8)
  }
}

/** All-null data of any type, `length` slots long. */
export function nullData(type: DataType, length: number): Data {
  const nullBitmap = new Uint8Array((length + 7) >> 3)
  const base = { type, length, nullCount: length, nullBitmap }
  switch (type.typeId) {
    case Type.Struct:
      return make({ ...base, children: type.children.map((f: Field) => nullData(f.type, length)) })
    case Type.List:
    case Type.Map:
      return make({
        ...base,
        valueOffsets: new Int32Array(length + 1),
        child: nullData((type.children[0] as Field).type, 0),
      })
    case Type.Utf8:
    case Type.Binary:
      return make({ ...base, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) })
    case Type.Bool:
      return make({ ...base, data: new Uint8Array((length + 7) >> 3) })
    default: {
      const stride =
        type.typeId === Type.FixedSizeBinary ? (type as unknown as { byteWidth: number }).byteWidth : 1
      const ArrayType = type.ArrayType as new (n: number) => ArrayBufferView
      const words = type.typeId === Type.Decimal ? 4 : 1
      return make({ ...base, data: new ArrayType(length * stride * words) })
    }
  }
}

/** `makeData` for props assembled per type at run time, which its overloads cannot check. */
function make(props: { type: DataType; length: number } & Record<string, unknown>): Data {
  return makeData(props as never) as Data
}

function checkLength(actual: number, expected: number, context: BuildContext, what: string): void {
  if (actual !== expected) {
    throw corrupt(context, `'${what}' has ${actual} values where ${expected} were expected`)
  }
}

function corrupt(context: BuildContext, message: string): CorruptFileError {
  return new CorruptFileError(`Parquet file ${context.path} is inconsistent: ${message}`, {
    context: { file: context.path },
  })
}
