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

/**
 * How one kind of codec (a reader, a writer) is built for each part of an Avro schema.
 * {@link compileAvro} walks a schema once for either, so both resolve names, namespaces and
 * logical types the same way.
 */
interface AvroCodecs<T> {
  primitive(name: AvroPrimitive): T
  record(fields: readonly (readonly [string, T])[]): T
  enum(symbols: readonly string[]): T
  array(items: T): T
  map(values: T): T
  fixed(size: number): T
  /** `nullIndex`: the branch that is `null`, or -1. */
  union(branches: readonly T[], nullIndex: number): T
  /** A logical type over its base codec; `schema` is the annotated schema (`scale`, `size`). */
  logical(base: T, logicalType: string, schema: { readonly [key: string]: unknown }): T
  /** A reference to a named type compiled later (a recursive record). */
  lazy(get: () => T): T
}

type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'
const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

function compileAvro<T>(
  schema: AvroSchema,
  codecs: AvroCodecs<T>,
  named: Map<string, T>,
  namespace: string | undefined,
): T {
  if (typeof schema === 'string') return reference(schema, codecs, named, namespace)
  if (Array.isArray(schema)) {
    return codecs.union(
      schema.map((s) => compileAvro(s, codecs, named, namespace)),
      schema.findIndex((s) => s === 'null' || (s as { type?: unknown }).type === 'null'),
    )
  }
  const s = schema as { readonly type: string; readonly [key: string]: unknown }
  const withLogical = (base: T) =>
    typeof s.logicalType === 'string' ? codecs.logical(base, s.logicalType, s) : base
  switch (s.type) {
    case 'record':
    case 'error': {
      const { name, namespace: ns } = fullName(s, namespace)
      let codec: T | undefined
      // Registered before its fields compile, so a recursive record refers to itself lazily.
      named.set(
        name,
        codecs.lazy(() => codec!),
      )
      const fields = ((s.fields ?? []) as { name: string; type: AvroSchema }[]).map(
        (field) => [field.name, compileAvro(field.type, codecs, named, ns)] as const,
      )
      codec = codecs.record(fields)
      return codec
    }
    case 'enum': {
      const codec = codecs.enum(s.symbols as string[])
      named.set(fullName(s, namespace).name, codec)
      return codec
    }
    case 'array':
      return codecs.array(compileAvro(s.items as AvroSchema, codecs, named, namespace))
    case 'map':
      return codecs.map(compileAvro(s.values as AvroSchema, codecs, named, namespace))
    case 'fixed': {
      const codec = withLogical(codecs.fixed(s.size as number))
      named.set(fullName(s, namespace).name, codec)
      return codec
    }
    default:
      return withLogical(reference(s.type, codecs, named, namespace))
  }
}

/** A primitive, or a named type defined earlier in the schema. */
function reference<T>(
  name: string,
  codecs: AvroCodecs<T>,
  named: Map<string, T>,
  namespace: string | undefined,
): T {
  if (PRIMITIVES.has(name)) return codecs.primitive(name as AvroPrimitive)
  const qualified = name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`
  const codec = named.get(qualified) ?? named.get(name)
  if (codec === undefined) throw new ValidationError(`Avro schema refers to the unknown type '${name}'`)
  return codec
}

const readers: AvroCodecs<Reader> = {
  primitive(name) {
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
    }
  },
  record(fields) {
    return (c) => {
      const out: Record<string, unknown> = {}
      for (const [name, field] of fields) out[name] = field(c)
      return out
    }
  },
  enum(symbols) {
    return (c) => {
      const i = readInt(c)
      if (i < 0 || i >= symbols.length) throw new ValidationError(`Avro enum index ${i} is out of range`)
      return symbols[i]
    }
  },
  array(item) {
    return (c) => {
      const out: unknown[] = []
      readBlocks(c, () => out.push(item(c)))
      return out
    }
  },
  map(value) {
    return (c) => {
      const out: Record<string, unknown> = {}
      readBlocks(c, () => {
        const key = decoder.decode(readBytes(c))
        out[key] = value(c)
      })
      return out
    }
  },
  fixed(size) {
    return (c) => {
      c.need(size)
      const out = c.bytes.subarray(c.pos, c.pos + size)
      c.pos += size
      return out
    }
  },
  union(branches) {
    return (c) => {
      const index = readLong(c)
      const branch = branches[Number(index)]
      if (index < 0n || !branch) throw new ValidationError(`Avro union index ${index} is out of range`)
      return branch(c)
    }
  },
  logical(base, logicalType, schema) {
    switch (logicalType) {
      case 'decimal':
        return (c) => decimalText(base(c) as Uint8Array, Number(schema.scale ?? 0))
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
  },
  lazy(get) {
    return (c) => get()(c)
  },
}

/** Writes one value at a path (for errors) into an {@link AvroOutput}. */
type Writer = (value: unknown, out: AvroOutput, path: string) => void

/** A growing buffer of one datum's bytes. */
class AvroOutput {
  bytes = new Uint8Array(256)
  length = 0
  #view = new DataView(this.bytes.buffer)

  #ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
    this.#view = new DataView(grown.buffer)
  }
  byte(b: number): void {
    this.#ensure(1)
    this.bytes[this.length++] = b
  }
  raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }
  /** A zig-zag varint (Avro `int` and `long`). */
  long(n: bigint): void {
    let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n))
    while (z >= 0x80n) {
      this.byte(Number(z & 0x7fn) | 0x80)
      z >>= 7n
    }
    this.byte(Number(z))
  }
  /** {@link AvroOutput.long} for an int32, without bigints. */
  int(n: number): void {
    let z = ((n << 1) ^ (n >> 31)) >>> 0
    while (z >= 0x80) {
      this.byte((z & 0x7f) | 0x80)
      z >>>= 7
    }
    this.byte(z)
  }
  float(n: number, bytes: 4 | 8): void {
    this.#ensure(bytes)
    if (bytes === 4) this.#view.setFloat32(this.length, n, true)
    else this.#view.setFloat64(this.length, n, true)
    this.length += bytes
  }
}

const encoder = new TextEncoder()

function notA(what: string, value: unknown, path: string, why?: string): ValidationError {
  const field = path || 'value'
  const shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value))
  return new ValidationError(
    `Field '${field}': ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown} is not a valid Avro ${what}${why ? ` (${why})` : ''}`,
    { context: { field } },
  )
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  )
}

function writeInt(value: unknown, out: AvroOutput, path: string): void {
  const n = typeof value === 'bigint' && value >= -(2n ** 31n) && value < 2n ** 31n ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) {
    throw notA('int', value, path, 'an integer from -2^31 to 2^31-1')
  }
  out.int(n)
}

function writeLong(value: unknown, out: AvroOutput, path: string): void {
  if (typeof value === 'bigint' && BigInt.asIntN(64, value) === value) out.long(value)
  else if (typeof value === 'number' && Number.isSafeInteger(value)) out.long(BigInt(value))
  else throw notA('long', value, path, 'a bigint in the int64 range or a safe integer')
}

function writeBytes(value: unknown, out: AvroOutput, path: string): void {
  if (!(value instanceof Uint8Array)) throw notA('bytes', value, path, 'a Uint8Array')
  out.long(BigInt(value.length))
  out.raw(value)
}

/** The unscaled value of decimal text or a number with at most `scale` fractional digits. */
function unscaled(value: unknown, scale: number, path: string): bigint {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value
  if (typeof value === 'bigint') return value * 10n ** BigInt(scale)
  const match = typeof text === 'string' ? /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text) : null
  if (!match || (match[3]?.length ?? 0) > scale) {
    throw notA('decimal', value, path, `decimal text or a number with at most ${scale} fractional digits`)
  }
  const digits = BigInt(match[2]! + (match[3] ?? '').padEnd(scale, '0'))
  return match[1] === '-' ? -digits : digits
}

/** Two's complement, big-endian, in `size` bytes or the fewest that hold it. */
function twosComplement(n: bigint, size: number | undefined, path: string, value: unknown): Uint8Array {
  let length = 1
  while (n < -(1n << BigInt(length * 8 - 1)) || n >= 1n << BigInt(length * 8 - 1)) length++
  if (size !== undefined && length > size)
    throw notA('decimal', value, path, `it needs more than ${size} bytes`)
  const out = new Uint8Array(size ?? length)
  let v = BigInt.asUintN(out.length * 8, n)
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

const MICROS_PER_DAY = 86_400_000_000n

const writers: AvroCodecs<Writer> = {
  primitive(name) {
    switch (name) {
      case 'null':
        return (value, _out, path) => {
          if (value !== null && value !== undefined) throw notA('null', value, path)
        }
      case 'boolean':
        return (value, out, path) => {
          if (typeof value !== 'boolean') throw notA('boolean', value, path)
          out.byte(value ? 1 : 0)
        }
      case 'int':
        return writeInt
      case 'long':
        return writeLong
      case 'float':
      case 'double':
        return (value, out, path) => {
          if (typeof value !== 'number') throw notA(name, value, path)
          out.float(value, name === 'float' ? 4 : 8)
        }
      case 'bytes':
        return writeBytes
      case 'string':
        return (value, out, path) => {
          if (typeof value !== 'string') throw notA('string', value, path)
          const bytes = encoder.encode(value)
          out.long(BigInt(bytes.length))
          out.raw(bytes)
        }
    }
  },
  record(fields) {
    return (value, out, path) => {
      if (!isObject(value)) throw notA('record', value, path, 'an object with a key per field')
      for (const [name, field] of fields) field(value[name], out, join(path, name))
    }
  },
  enum(symbols) {
    return (value, out, path) => {
      const i = typeof value === 'string' ? symbols.indexOf(value) : -1
      if (i < 0) throw notA('enum', value, path, `one of ${symbols.join(', ')}`)
      out.int(i)
    }
  },
  array(item) {
    return (value, out, path) => {
      if (!Array.isArray(value)) throw notA('array', value, path)
      if (value.length > 0) {
        out.long(BigInt(value.length))
        for (let i = 0; i < value.length; i++) item(value[i], out, `${path}[${i}]`)
      }
      out.byte(0)
    }
  },
  map(values) {
    return (value, out, path) => {
      const entries = value instanceof Map ? [...value] : isObject(value) ? Object.entries(value) : undefined
      if (!entries) throw notA('map', value, path, 'a Map or a plain object')
      if (entries.length > 0) {
        out.long(BigInt(entries.length))
        for (const [key, v] of entries) {
          if (typeof key !== 'string') throw notA('map key', key, path, 'text')
          const bytes = encoder.encode(key)
          out.long(BigInt(bytes.length))
          out.raw(bytes)
          values(v, out, join(path, key))
        }
      }
      out.byte(0)
    }
  },
  fixed(size) {
    return (value, out, path) => {
      if (!(value instanceof Uint8Array) || value.length !== size) {
        throw notA('fixed', value, path, `a Uint8Array of ${size} bytes`)
      }
      out.raw(value)
    }
  },
  union(branches, nullIndex) {
    return (value, out, path) => {
      if ((value === null || value === undefined) && nullIndex >= 0) {
        out.int(nullIndex)
        return
      }
      // The first branch that takes the value; what a failed branch wrote is taken back.
      let refused: ValidationError | undefined
      for (let i = 0; i < branches.length; i++) {
        if (i === nullIndex) continue
        const mark = out.length
        try {
          out.int(i)
          branches[i]!(value, out, path)
          return
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error
          out.length = mark
          refused ??= error
        }
      }
      throw refused && branches.length - (nullIndex >= 0 ? 1 : 0) === 1
        ? refused
        : notA('union', value, path, 'no branch of the union takes it')
    }
  },
  logical(base, logicalType, schema) {
    switch (logicalType) {
      case 'decimal': {
        const scale = Number(schema.scale ?? 0)
        const size = schema.type === 'fixed' ? Number(schema.size) : undefined
        return (value, out, path) =>
          base(twosComplement(unscaled(value, scale, path), size, path, value), out, path)
      }
      case 'timestamp-millis':
      case 'local-timestamp-millis':
        return (value, out, path) => {
          const micros = value instanceof Date ? BigInt(value.getTime()) * 1000n : value
          if (typeof micros !== 'bigint' || micros % 1000n !== 0n) {
            throw notA(logicalType, value, path, 'a Date, or a bigint of whole milliseconds in microseconds')
          }
          base(micros / 1000n, out, path)
        }
      case 'timestamp-micros':
      case 'local-timestamp-micros':
        return (value, out, path) =>
          base(value instanceof Date ? BigInt(value.getTime()) * 1000n : value, out, path)
      case 'time-millis':
        return (value, out, path) => {
          if (typeof value !== 'bigint' || value % 1000n !== 0n || value < 0n || value >= MICROS_PER_DAY) {
            throw notA(
              logicalType,
              value,
              path,
              'a bigint of whole milliseconds since midnight in microseconds',
            )
          }
          base(Number(value / 1000n), out, path)
        }
      case 'date':
        return (value, out, path) =>
          base(value instanceof Date ? Math.floor(value.getTime() / 86_400_000) : value, out, path)
      default:
        return base
    }
  },
  lazy(get) {
    return (value, out, path) => get()(value, out, path)
  },
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
  const read = compileAvro(schema, readers, new Map(), undefined)
  return (bytes) => {
    const cursor = new Cursor(bytes)
    const value = read(cursor)
    if (cursor.pos !== bytes.length) {
      throw new ValidationError(`Avro datum has ${bytes.length - cursor.pos} bytes after its end`)
    }
    return value
  }
}

/**
 * Compiles an Avro schema into a function that encodes one value in Avro's binary encoding:
 * the inverse of {@link compileAvroDecoder}, which decodes what it writes to an equal value.
 * It takes what the decoder gives (longs as `bigint`, decimals as text, `timestamp-millis` as
 * a `bigint` of microseconds) and also safe-integer numbers for longs, numbers and bigints for
 * decimals, and `Date`s for timestamps and dates. A value that does not fit is a
 * `ValidationError` naming the field (`context.field`); a union takes its first branch that
 * fits. A bad schema throws here, once.
 */
export function compileAvroEncoder(schema: AvroSchema): (value: unknown) => Uint8Array {
  const write = compileAvro(schema, writers, new Map(), undefined)
  return (value) => {
    const out = new AvroOutput()
    write(value, out, '')
    return out.bytes.slice(0, out.length)
  }
}
