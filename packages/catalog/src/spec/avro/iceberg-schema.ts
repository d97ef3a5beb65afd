import { CorruptFileError, ValidationError } from '@lake/errors'
import { decimalToBytes, fromBytes, uuidFromBytes, uuidToBytes } from '../conversions.js'
import type { IcebergType, NestedField, PrimitiveType, StructType } from '../types.js'
import {
  type AvroNode,
  type AvroRecordNode,
  type AvroRecordSchema,
  type AvroSchema,
  nonNull,
} from './schema.js'

/**
 * Iceberg types as Avro schemas, following the spec's "Avro" appendix and the names Java's
 * `AvroSchemaUtil` gives (records `r<field id>`, map entries `k<key id>_v<value id>`), so the
 * files we write look like Java's to every reader. Also the way back: Iceberg values from Avro
 * values of the logical types (uuid, decimal) that differ in representation.
 *
 * @module
 */

// Java's rule (AvroSchemaUtil.validAvroName): Character.isLetter or `_` first, then letters,
// digits or `_`, tested one UTF-16 unit at a time, so `ü` is legal and an emoji is not.
const VALID_NAME = /^[\p{L}_][\p{L}\p{Nd}_]*$/u
const LETTER = /^[\p{L}_]$/u
const DIGIT = /^\p{Nd}$/u

/**
 * An Iceberg field name as a legal Avro name. Java's rule: a leading digit gets a `_` in front,
 * any other illegal character becomes `_x` and its hex code, so `1st-col` is `_1st_x2Dcol`.
 */
export function avroFieldName(name: string): string {
  if (VALID_NAME.test(name)) return name
  let out = ''
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!
    const legal = LETTER.test(c) || (i > 0 && DIGIT.test(c))
    if (legal) out += c
    else if (i === 0 && DIGIT.test(c)) out += `_${c}`
    else out += `_x${c.charCodeAt(0).toString(16).toUpperCase()}`
  }
  return out
}

/**
 * The Avro record schema of an Iceberg struct, with `field-id`, `element-id`, `key-id` and
 * `value-id` attributes so that readers map columns by id rather than by name.
 */
export function toAvroSchema(struct: StructType, recordName: string): AvroRecordSchema {
  return recordOf(struct, recordName, new Set())
}

function recordOf(struct: StructType, name: string, defined: Set<string>): AvroRecordSchema {
  defined.add(name)
  return {
    type: 'record',
    name,
    fields: struct.fields.map((field) => fieldOf(field, defined)),
  }
}

function fieldOf(field: NestedField, defined: Set<string>): AvroRecordSchema['fields'][number] {
  const type = typeOf(field.type, `r${field.id}`, defined)
  const out: Record<string, unknown> = { name: avroFieldName(field.name) }
  out.type = field.required ? type : ['null', type]
  if (field.doc !== undefined) out.doc = field.doc
  if (!field.required) out.default = null
  out['field-id'] = field.id
  return out as AvroRecordSchema['fields'][number]
}

function typeOf(type: IcebergType, recordName: string, defined: Set<string>): AvroSchema {
  switch (type.kind) {
    case 'struct':
      return recordOf(type, recordName, defined)
    case 'list': {
      const element = typeOf(type.element, `r${type.elementId}`, defined)
      return {
        type: 'array',
        items: type.elementRequired ? element : ['null', element],
        'element-id': type.elementId,
      }
    }
    case 'map': {
      const value = typeOf(type.value, `r${type.valueId}`, defined)
      const optionalValue = type.valueRequired ? value : ['null', value]
      if (type.key.kind === 'string') {
        return { type: 'map', values: optionalValue, 'key-id': type.keyId, 'value-id': type.valueId }
      }
      const entryName = `k${type.keyId}_v${type.valueId}`
      defined.add(entryName)
      return {
        type: 'array',
        items: {
          type: 'record',
          name: entryName,
          fields: [
            { name: 'key', type: typeOf(type.key, `r${type.keyId}`, defined), 'field-id': type.keyId },
            { name: 'value', type: optionalValue, 'field-id': type.valueId },
          ],
        },
        logicalType: 'map',
      }
    }
    default:
      return primitiveOf(type, defined)
  }
}

function primitiveOf(type: PrimitiveType, defined: Set<string>): AvroSchema {
  switch (type.kind) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type.kind
    case 'binary':
      return 'bytes'
    case 'date':
      return { type: 'int', logicalType: 'date' }
    case 'time':
      return { type: 'long', logicalType: 'time-micros' }
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false }
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true }
    case 'uuid':
      // A named type may be defined once per schema; later uses refer to it by name.
      return named('uuid_fixed', defined, () => ({
        type: 'fixed',
        name: 'uuid_fixed',
        size: 16,
        logicalType: 'uuid',
      }))
    case 'fixed':
      return named(`fixed_${type.length}`, defined, (name) => ({ type: 'fixed', name, size: type.length }))
    case 'decimal':
      return named(`decimal_${type.precision}_${type.scale}`, defined, (name) => ({
        type: 'fixed',
        name,
        size: decimalRequiredBytes(type.precision),
        logicalType: 'decimal',
        precision: type.precision,
        scale: type.scale,
      }))
  }
}

function named(name: string, defined: Set<string>, make: (name: string) => AvroSchema): AvroSchema {
  if (defined.has(name)) return name
  defined.add(name)
  return make(name)
}

/** The fewest bytes whose two's complement holds every unscaled value of `precision` digits. */
export function decimalRequiredBytes(precision: number): number {
  const limit = 10n ** BigInt(precision)
  let bytes = 1
  while (2n ** BigInt(8 * bytes - 1) < limit) bytes++
  return bytes
}

/**
 * An internal value (see `types.ts`) as the Avro value of `type`'s schema: a uuid string becomes
 * its 16 bytes and a decimal its fixed-width two's complement; other values are already Avro's.
 */
export function toAvroValue(type: PrimitiveType, value: unknown, field: string): unknown {
  if (value === null || value === undefined) return null
  switch (type.kind) {
    case 'uuid':
      if (typeof value !== 'string') throw invalidValue(field, 'a uuid string', value)
      return uuidToBytes(value)
    case 'decimal':
      if (typeof value !== 'bigint') throw invalidValue(field, 'a bigint (unscaled decimal)', value)
      return signExtend(decimalToBytes(value), decimalRequiredBytes(type.precision), value, field)
    default:
      return value
  }
}

/** The internal value of an Avro value, given the (file's own) Avro schema it was read with. */
export function fromAvroValue(node: AvroNode, value: unknown): unknown {
  if (value === null) return null
  const base = nonNull(node)
  const logical = base.attrs.logicalType
  if (logical === 'uuid')
    return value instanceof Uint8Array ? uuidFromBytes(value) : String(value).toLowerCase()
  if (logical === 'decimal' && value instanceof Uint8Array) {
    // Sign-extended two's complement reads the same as the minimal form of the binary serialisation.
    return value.length === 0 ? 0n : fromBytes({ kind: 'decimal', precision: 38, scale: 0 }, value)
  }
  return value
}

/**
 * The Iceberg type of a primitive Avro schema, read from its base type and logical type, for
 * manifests whose partition tuple is described only by the file's own schema.
 */
export function icebergTypeOf(node: AvroNode, file?: string): PrimitiveType {
  const base = nonNull(node)
  const logical = base.attrs.logicalType
  switch (base.type) {
    case 'boolean':
    case 'float':
    case 'double':
      return { kind: base.type }
    case 'int':
      return { kind: logical === 'date' ? 'date' : 'int' }
    case 'long':
      if (logical === 'time-micros') return { kind: 'time' }
      if (logical === 'timestamp-micros')
        return { kind: base.attrs['adjust-to-utc'] === true ? 'timestamptz' : 'timestamp' }
      return { kind: 'long' }
    case 'string':
      return { kind: logical === 'uuid' ? 'uuid' : 'string' }
    case 'bytes':
      if (logical === 'decimal') return decimalOf(base.attrs, file)
      return { kind: 'binary' }
    case 'fixed':
      if (logical === 'uuid') return { kind: 'uuid' }
      if (logical === 'decimal') return decimalOf(base.attrs, file)
      return { kind: 'fixed', length: base.size }
    default:
      throw new CorruptFileError(
        `Avro type '${base.type}' cannot hold an Iceberg partition value${file === undefined ? '' : ` in ${file}`}`,
        file === undefined ? {} : { context: { file } },
      )
  }
}

function decimalOf(attrs: Readonly<Record<string, unknown>>, file?: string): PrimitiveType {
  const { precision, scale } = attrs
  if (typeof precision !== 'number' || (scale !== undefined && typeof scale !== 'number')) {
    throw new CorruptFileError(
      `Avro decimal without a numeric precision${file === undefined ? '' : ` in ${file}`}`,
      file === undefined ? {} : { context: { file } },
    )
  }
  return { kind: 'decimal', precision, scale: scale ?? 0 }
}

/** Widens a minimal two's complement to Avro's fixed width, refusing values that do not fit. */
function signExtend(minimal: Uint8Array, size: number, value: bigint, field: string): Uint8Array {
  if (minimal.length > size) throw invalidValue(field, `a decimal that fits ${size} bytes`, value)
  const out = new Uint8Array(size).fill(value < 0n ? 0xff : 0)
  out.set(minimal, size - minimal.length)
  return out
}

function invalidValue(field: string, expected: string, value: unknown): ValidationError {
  const shown = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)
  return new ValidationError(`Value of '${field}' must be ${expected}, got ${shown}`, { context: { field } })
}

/** A field the spec defines: its id, its name, and the Avro type its values must have. */
export type SpecField = readonly [id: number, name: string, avroType: string]

/** For each spec field, the name the file's schema gives it (undefined when absent). */
export type FieldNames<T> = { [K in keyof T]: string | undefined }

/**
 * Finds the spec's fields in a record of a file's own schema: by `field-id` first, then by spec
 * name (or an older name) for writers that left ids out. A field whose Avro type differs from
 * the spec's makes the file corrupt, so the values read later have the types the spec promises.
 */
export function specFieldNames<T extends Record<string, SpecField>>(
  record: AvroRecordNode,
  fields: T,
  file?: string,
  oldNames: Readonly<Record<number, string>> = {},
): FieldNames<T> {
  const out: Record<string, string | undefined> = {}
  for (const [key, [id, name, avroType]] of Object.entries(fields)) {
    const field =
      record.fields.find((f) => f.attrs['field-id'] === id) ??
      record.fields.find((f) => f.name === name || f.name === oldNames[id])
    if (field) {
      const actual = nonNull(field.type).type
      if (actual !== avroType) {
        throw new CorruptFileError(
          `Field ${id} '${field.name}' is Avro '${actual}', not '${avroType}'${file === undefined ? '' : ` in ${file}`}`,
          file === undefined ? {} : { context: { file } },
        )
      }
    }
    out[key] = field?.name
  }
  return out as FieldNames<T>
}
