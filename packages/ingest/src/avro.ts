import { ValidationError } from '@lake/errors'

/**
 * An Avro schema as JSON (the `.avsc` form): a primitive name, a record, enum, array, map,
 * fixed, a union as an array, or a named type defined earlier in the same schema.
 */
export type AvroSchema =
  | string
  | readonly AvroSchema[]
  | { readonly type: string; readonly [key: string]: unknown }

type Reader = (cursor: Cursor) => unknown

/** A position in one message's bytes; running past the end is a decode error, never a silent zero. */
class Cursor {
  pos = 0
  constructor(readonly bytes: Uint8Array) {}
  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new ValidationError('Avro data ends early')
  }
  byte(): number {
    this.need(1)
    return this.bytes[this.pos++]!
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** A zig-zag varint as a bigint (Avro `long`). */
function readLong(c: Cursor): bigint {
  let result = 0n
  let shift = 0n
  for (;;) {
    const b = c.byte()
    result |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) break
    shift += 7n
    if (shift > 63n) throw new ValidationError('Avro varint is longer than 10 bytes')
  }
  return (result >> 1n) ^ -(result & 1n)
}

function readInt(c: Cursor): number {
  const n = readLong(c)
  if (n < -2147483648n || n > 2147483647n) throw new ValidationError(`Avro int ${n} is out of range`)
  return Number(n)
}

function readLength(c: Cursor): number {
  const n = readLong(c)
  if (n < 0n || n > BigInt(c.bytes.length - c.pos))
    throw new ValidationError(`Avro length ${n} is impossible here`)
  return Number(n)
}

function readBytes(c: Cursor): Uint8Array {
  const n = readLength(c)
  const out = c.bytes.subarray(c.pos, c.pos + n)
  c.pos += n
  return out
}

/** Block-encoded items of an array or map; a negative count is followed by the block's size. */
function readBlocks(c: Cursor, item: () => void): void {
  for (;;) {
    let count = readLong(c)
    if (count === 0n) return
    if (count < 0n) {
      count = -count
      readLong(c)
    }
    if (count > BigInt(c.bytes.length - c.pos))
      throw new ValidationError(`Avro block of ${count} items is impossible here`)
    for (let i = 0n; i < count; i++) item()
  }
}

/** Decimal bytes (two's complement, big-endian) as decimal text, the form Lake's decimal columns take. */
function decimalText(bytes: Uint8Array, scale: number): string {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  if (bytes.length > 0 && bytes[0]! & 0x80) n -= 1n << BigInt(bytes.length * 8)
  const negative = n < 0n
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0')
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits
  return negative ? `-${text}` : text
}

function compile(schema: AvroSchema, named: Map<string, Reader>, namespace: string | undefined): Reader {
  if (typeof schema === 'string') return primitive(schema, named, namespace)
  if (Array.isArray(schema)) {
    const branches = schema.map((s) => compile(s, named, namespace))
    return (c) => {
      const index = readLong(c)
      const branch = branches[Number(index)]
      if (index < 0n || !branch) throw new ValidationError(`Avro union index ${index} is out of range`)
      return branch(c)
    }
  }
  const s = schema as { readonly type: string; readonly [key: string]: unknown }
  const logical = s.logicalType
  switch (s.type) {
    case 'record':
    case 'error': {
      const ns = fullName(s, namespace).namespace
      const fields: [string, Reader][] = []
      // Registered before its fields compile, so a recursive record refers to itself lazily.
      named.set(fullName(s, namespace).name, (c) => read(c))
      for (const field of (s.fields ?? []) as { name: string; type: AvroSchema }[]) {
        fields.push([field.name, compile(field.type, named, ns)])
      }
      const read = (c: Cursor) => {
        const out: Record<string, unknown> = {}
        for (const [name, field] of fields) out[name] = field(c)
        return out
      }
      return read
    }
    case 'enum': {
      const symbols = s.symbols as string[]
      const read = (c: Cursor) => {
        const i = readInt(c)
        if (i < 0 || i >= symbols.length) throw new ValidationError(`Avro enum index ${i} is out of range`)
        return symbols[i]
      }
      named.set(fullName(s, namespace).name, read)
      return read
    }
    case 'array': {
      const item = compile(s.items as AvroSchema, named, namespace)
      return (c) => {
        const out: unknown[] = []
        readBlocks(c, () => out.push(item(c)))
        return out
      }
    }
    case 'map': {
      const value = compile(s.values as AvroSchema, named, namespace)
      return (c) => {
        const out: Record<string, unknown> = {}
        readBlocks(c, () => {
          const key = decoder.decode(readBytes(c))
          out[key] = value(c)
        })
        return out
      }
    }
    case 'fixed': {
      const size = s.size as number
      const read = (c: Cursor) => {
        c.need(size)
        const out = c.bytes.subarray(c.pos, c.pos + size)
        c.pos += size
        return logical === 'decimal' ? decimalText(out, Number(s.scale ?? 0)) : out
      }
      named.set(fullName(s, namespace).name, read)
      return read
    }
    default: {
      const base = primitive(s.type, named, namespace)
      switch (logical) {
        case 'decimal':
          return (c) => decimalText(base(c) as Uint8Array, Number(s.scale ?? 0))
        case 'timestamp-millis':
        case 'local-timestamp-millis':
          return (c) => (base(c) as bigint) * 1000n
        case 'time-millis':
          return (c) => BigInt(base(c) as number) * 1000n
        default:
          // date (int days), timestamp-micros and time-micros (long micros) are already Lake's
          // internal forms; uuid is text.
          return base
      }
    }
  }
}

function primitive(name: string, named: Map<string, Reader>, namespace: string | undefined): Reader {
  switch (name) {
    case 'null':
      return () => null
    case 'boolean':
      return (c) => {
        const b = c.byte()
        if (b > 1) throw new ValidationError(`Avro boolean byte ${b} is neither 0 nor 1`)
        return b === 1
      }
    case 'int':
      return readInt
    case 'long':
      return readLong
    case 'float':
      return (c) => {
        c.need(4)
        const v = new DataView(c.bytes.buffer, c.bytes.byteOffset + c.pos, 4).getFloat32(0, true)
        c.pos += 4
        return v
      }
    case 'double':
      return (c) => {
        c.need(8)
        const v = new DataView(c.bytes.buffer, c.bytes.byteOffset + c.pos, 8).getFloat64(0, true)
        c.pos += 8
        return v
      }
    case 'bytes':
      return readBytes
    case 'string':
      return (c) => decoder.decode(readBytes(c))
    default: {
      const qualified = name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`
      const reader = named.get(qualified) ?? named.get(name)
      if (!reader) throw new ValidationError(`Avro schema refers to the unknown type '${name}'`)
      return reader
    }
  }
}

function fullName(
  schema: { readonly [key: string]: unknown },
  namespace: string | undefined,
): { name: string; namespace: string | undefined } {
  const name = String(schema.name)
  if (name.includes('.')) return { name, namespace: name.slice(0, name.lastIndexOf('.')) }
  const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace
  return { name: ns ? `${ns}.${name}` : name, namespace: ns }
}

/**
 * Compiles an Avro schema into a function that decodes one datum in Avro's binary encoding.
 * Longs decode as `bigint`; `timestamp-millis` becomes microseconds and `decimal` becomes
 * decimal text, the forms Lake's row validation accepts. Trailing bytes are refused, since they
 * mean the writer used another schema. A bad schema throws here, once, not per message.
 */
export function compileAvroDecoder(schema: AvroSchema): (bytes: Uint8Array) => unknown {
  const read = compile(schema, new Map(), undefined)
  return (bytes) => {
    const cursor = new Cursor(bytes)
    const value = read(cursor)
    if (cursor.pos !== bytes.length) {
      throw new ValidationError(`Avro datum has ${bytes.length - cursor.pos} bytes after its end`)
    }
    return value
  }
}
