import { ValidationError } from '@lake/errors'
import type { ByteReader, ByteWriter } from './binary.js'
import type { AvroArrayNode, AvroNode, AvroRecordNode } from './schema.js'

/**
 * Avro datums: values of a schema, encoded and decoded by functions compiled once per schema so
 * that a manifest with a hundred thousand entries does not walk the schema a hundred thousand
 * times.
 *
 * Values are plain JavaScript: `null`, `boolean`, `number` (int, float, double), `bigint` (long),
 * `string` (string, enum symbol), `Uint8Array` (bytes, fixed), objects keyed by field name
 * (record), arrays, `Map<string, V>` (map), and `Map<K, V>` for Iceberg's maps stored as arrays of
 * key/value records (`logicalType: "map"`). A union's value is the value of its branch.
 *
 * @module
 */

const MAX_LONG = 2n ** 63n - 1n
const MIN_LONG = -(2n ** 63n)

/** Decodes one datum. */
export type DatumReader = (reader: ByteReader) => unknown
/** Encodes one datum; throws {@link ValidationError} when the value does not fit the schema. */
export type DatumWriter = (writer: ByteWriter, value: unknown) => void

/** Compiles the decoder of a resolved schema. */
export function compileReader(node: AvroNode): DatumReader {
  return readerOf(node, new Map())
}

/** Compiles the encoder of a resolved schema; `path` prefixes field names in error messages. */
export function compileWriter(node: AvroNode, path = ''): DatumWriter {
  return writerOf(node, path, new Map())
}

function readerOf(node: AvroNode, seen: Map<AvroRecordNode, DatumReader>): DatumReader {
  switch (node.type) {
    case 'null':
      return () => null
    case 'boolean':
      return (r) => r.readBoolean()
    case 'int':
      return (r) => r.readInt()
    case 'long':
      return (r) => r.readLong()
    case 'float':
      return (r) => r.readFloat()
    case 'double':
      return (r) => r.readDouble()
    case 'bytes':
      return (r) => r.readBytes()
    case 'string':
      return (r) => r.readString()
    case 'fixed': {
      const size = node.size
      return (r) => r.readFixed(size)
    }
    case 'enum': {
      const symbols = node.symbols
      return (r) => {
        const index = r.readInt()
        const symbol = symbols[index]
        if (symbol === undefined) throw r.corrupt(`Enum index ${index} out of range for '${node.name}'`)
        return symbol
      }
    }
    case 'array': {
      const entry = mapEntry(node)
      if (entry) {
        const key = readerOf(entry.key, seen)
        const value = readerOf(entry.value, seen)
        return (r) => {
          const out = new Map<unknown, unknown>()
          for (let count = blockCount(r, 1); count !== 0; count = blockCount(r, 1)) {
            for (let i = 0; i < count; i++) {
              const k = key(r)
              out.set(k, value(r))
            }
          }
          return out
        }
      }
      const item = readerOf(node.items, seen)
      const minSize = zeroWidth(node.items) ? 0 : 1
      return (r) => {
        const out: unknown[] = []
        for (let count = blockCount(r, minSize); count !== 0; count = blockCount(r, minSize)) {
          for (let i = 0; i < count; i++) out.push(item(r))
        }
        return out
      }
    }
    case 'map': {
      const value = readerOf(node.values, seen)
      return (r) => {
        const out = new Map<string, unknown>()
        for (let count = blockCount(r, 1); count !== 0; count = blockCount(r, 1)) {
          for (let i = 0; i < count; i++) {
            const key = r.readString()
            out.set(key, value(r))
          }
        }
        return out
      }
    }
    case 'union': {
      const branches = node.branches.map((b) => readerOf(b, seen))
      if (branches.length === 2 && node.branches[0]!.type === 'null') {
        const other = branches[1]!
        return (r) => {
          const index = r.readInt()
          if (index === 0) return null
          if (index === 1) return other(r)
          throw r.corrupt(`Union branch ${index} out of range`)
        }
      }
      return (r) => {
        const index = r.readInt()
        const branch = branches[index]
        if (branch === undefined) throw r.corrupt(`Union branch ${index} out of range`)
        return branch(r)
      }
    }
    case 'record': {
      const known = seen.get(node)
      if (known) return known
      let fields: { name: string; read: DatumReader }[] = []
      const read: DatumReader = (r) => {
        const out: Record<string, unknown> = {}
        for (let i = 0; i < fields.length; i++) {
          const field = fields[i]!
          out[field.name] = field.read(r)
        }
        return out
      }
      seen.set(node, read)
      fields = node.fields.map((f) => ({ name: f.name, read: readerOf(f.type, seen) }))
      return read
    }
  }
}

/**
 * Iceberg writes maps whose keys are not strings as arrays of key/value records marked
 * `logicalType: "map"`. Their values are `Map`s here, decoded and encoded without building a
 * record per entry: the metrics maps of a manifest hold most of its objects.
 */
function mapEntry(node: AvroArrayNode): { key: AvroNode; value: AvroNode } | undefined {
  if (node.attrs.logicalType !== 'map' || node.items.type !== 'record') return undefined
  const [key, value, ...rest] = node.items.fields
  if (key === undefined || value === undefined || rest.length > 0) return undefined
  return { key: key.type, value: value.type }
}

/**
 * Reads an array or map block header; a negative count is followed by the block's byte size.
 * A count larger than the bytes left cannot be genuine when each item takes at least one byte,
 * and is refused before it drives a loop of millions of reads.
 */
function blockCount(r: ByteReader, minItemSize: number): number {
  let count = r.readLength()
  if (count < 0) {
    r.readLength()
    count = -count
  }
  if (count * minItemSize > r.bytes.length - r.pos)
    throw r.corrupt(`Avro block count ${count} exceeds the data left`)
  return count
}

/** True for types encoded in zero bytes, whose arrays can be longer than the data left. */
export function zeroWidth(node: AvroNode): boolean {
  if (node.type === 'null') return true
  if (node.type === 'fixed') return node.size === 0
  if (node.type === 'record') return node.fields.every((f) => f.type !== node && zeroWidth(f.type))
  return false
}

function writerOf(node: AvroNode, path: string, seen: Map<AvroRecordNode, DatumWriter>): DatumWriter {
  switch (node.type) {
    case 'null':
      return (_w, v) => {
        if (v !== null && v !== undefined) throw mismatch(path, 'null', v)
      }
    case 'boolean':
      return (w, v) => {
        if (typeof v !== 'boolean') throw mismatch(path, 'boolean', v)
        w.writeBoolean(v)
      }
    case 'int':
      return (w, v) => {
        if (typeof v !== 'number' || (v | 0) !== v) throw mismatch(path, 'int', v)
        w.writeInt(v)
      }
    case 'long':
      return (w, v) => {
        if (typeof v !== 'bigint' || v > MAX_LONG || v < MIN_LONG) throw mismatch(path, 'long (bigint)', v)
        w.writeLong(v)
      }
    case 'float':
      return (w, v) => {
        if (typeof v !== 'number') throw mismatch(path, 'float', v)
        w.writeFloat(v)
      }
    case 'double':
      return (w, v) => {
        if (typeof v !== 'number') throw mismatch(path, 'double', v)
        w.writeDouble(v)
      }
    case 'bytes':
      return (w, v) => {
        if (!(v instanceof Uint8Array)) throw mismatch(path, 'bytes', v)
        w.writeBytes(v)
      }
    case 'string':
      return (w, v) => {
        if (typeof v !== 'string') throw mismatch(path, 'string', v)
        w.writeString(v)
      }
    case 'fixed': {
      const size = node.size
      return (w, v) => {
        if (!(v instanceof Uint8Array) || v.length !== size) throw mismatch(path, `fixed[${size}]`, v)
        w.writeFixed(v)
      }
    }
    case 'enum': {
      const index = new Map(node.symbols.map((s, i) => [s, i]))
      return (w, v) => {
        const i = typeof v === 'string' ? index.get(v) : undefined
        if (i === undefined) throw mismatch(path, `one of ${node.symbols.join(', ')}`, v)
        w.writeInt(i)
      }
    }
    case 'array': {
      const entry = mapEntry(node)
      if (entry) {
        const key = writerOf(entry.key, `${path}.key`, seen)
        const value = writerOf(entry.value, `${path}.value`, seen)
        return (w, v) => {
          if (!(v instanceof Map)) throw mismatch(path, 'Map', v)
          if (v.size > 0) {
            w.writeLength(v.size)
            for (const [k, val] of v) {
              key(w, k)
              value(w, val)
            }
          }
          w.writeLength(0)
        }
      }
      const item = writerOf(node.items, `${path}[]`, seen)
      return (w, v) => {
        if (!Array.isArray(v)) throw mismatch(path, 'array', v)
        if (v.length > 0) {
          w.writeLength(v.length)
          for (let i = 0; i < v.length; i++) item(w, v[i])
        }
        w.writeLength(0)
      }
    }
    case 'map': {
      const value = writerOf(node.values, `${path}{}`, seen)
      return (w, v) => {
        if (!(v instanceof Map)) throw mismatch(path, 'Map', v)
        if (v.size > 0) {
          w.writeLength(v.size)
          for (const [key, val] of v) {
            if (typeof key !== 'string') throw mismatch(`${path}{}`, 'string key', key)
            w.writeString(key)
            value(w, val)
          }
        }
        w.writeLength(0)
      }
    }
    case 'union':
      return unionWriter(node.branches, path, seen)
    case 'record': {
      const known = seen.get(node)
      if (known) return known
      let fields: { name: string; write: DatumWriter }[] = []
      const write: DatumWriter = (w, v) => {
        if (typeof v !== 'object' || v === null) throw mismatch(path, `record ${node.name}`, v)
        const record = v as Record<string, unknown>
        for (let i = 0; i < fields.length; i++) {
          const field = fields[i]!
          field.write(w, record[field.name])
        }
      }
      seen.set(node, write)
      const prefix = path === '' ? '' : `${path}.`
      fields = node.fields.map((f) => ({ name: f.name, write: writerOf(f.type, prefix + f.name, seen) }))
      return write
    }
  }
}

function unionWriter(
  branches: readonly AvroNode[],
  path: string,
  seen: Map<AvroRecordNode, DatumWriter>,
): DatumWriter {
  const writers = branches.map((b) => writerOf(b, path, seen))
  const nullIndex = branches.findIndex((b) => b.type === 'null')
  if (branches.length === 2 && nullIndex >= 0) {
    const otherIndex = 1 - nullIndex
    const other = writers[otherIndex]!
    return (w, v) => {
      if (v === null || v === undefined) {
        w.writeInt(nullIndex)
      } else {
        w.writeInt(otherIndex)
        other(w, v)
      }
    }
  }
  return (w, v) => {
    const index = branches.findIndex((b) => accepts(b, v))
    if (index < 0) throw mismatch(path, 'a branch of the union', v)
    w.writeInt(index)
    writers[index]!(w, v)
  }
}

/** Whether a value has the JavaScript shape of a branch, to choose among union branches. */
function accepts(node: AvroNode, v: unknown): boolean {
  switch (node.type) {
    case 'null':
      return v === null || v === undefined
    case 'boolean':
      return typeof v === 'boolean'
    case 'int':
      return typeof v === 'number' && (v | 0) === v
    case 'float':
    case 'double':
      return typeof v === 'number'
    case 'long':
      return typeof v === 'bigint'
    case 'string':
      return typeof v === 'string'
    case 'enum':
      return typeof v === 'string' && node.symbols.includes(v)
    case 'bytes':
      return v instanceof Uint8Array
    case 'fixed':
      return v instanceof Uint8Array && v.length === node.size
    case 'array':
      return mapEntry(node) ? v instanceof Map : Array.isArray(v)
    case 'map':
      return v instanceof Map
    case 'record':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map)
    case 'union':
      return node.branches.some((b) => accepts(b, v))
  }
}

function mismatch(path: string, expected: string, value: unknown): ValidationError {
  const shown =
    typeof value === 'bigint' ? `${value}n` : typeof value === 'object' ? typeName(value) : String(value)
  return new ValidationError(`Avro value at '${path || '<root>'}' must be ${expected}, got ${shown}`, {
    context: { field: path },
  })
}

function typeName(value: object | null): string {
  if (value === null) return 'null'
  return value.constructor?.name ?? 'object'
}
