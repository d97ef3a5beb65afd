/**
 * Iceberg schemas as Apache Arrow schemas and back.
 *
 * Every Arrow field made here carries its Iceberg field id in the metadata key
 * {@link PARQUET_FIELD_ID_KEY}, as pyiceberg's `schema_to_pyarrow` does, so a batch read from a
 * table can be written back (or handed to another engine) without losing column identity.
 *
 * | Iceberg                | Arrow                                                  |
 * |------------------------|--------------------------------------------------------|
 * | boolean                | `Bool`                                                 |
 * | int                    | `Int32`                                                |
 * | long                   | `Int64`                                                |
 * | float, double          | `Float32`, `Float64`                                   |
 * | decimal(P, S)          | `Decimal(S, P, 128)`                                   |
 * | date                   | `DateDay`                                              |
 * | time                   | `TimeMicrosecond`                                      |
 * | timestamp              | `TimestampMicrosecond` without time zone               |
 * | timestamptz            | `TimestampMicrosecond('UTC')`                          |
 * | string                 | `Utf8`                                                 |
 * | uuid                   | `FixedSizeBinary(16)` marked as the `arrow.uuid` extension |
 * | fixed(L), binary       | `FixedSizeBinary(L)`, `Binary`                         |
 * | struct, list, map      | `Struct`, `List` (child `element`), `Map` (`key_value` of `key`, `value`) |
 *
 * Required fields are non-nullable Arrow fields and the other way round.
 *
 * @module
 */
import { UnsupportedError, ValidationError } from '@lake/errors'
import {
  Schema as ArrowSchema,
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Map_,
  Precision,
  Struct,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimeUnit,
  Type,
  Utf8,
} from 'apache-arrow'
import { Schema } from './schema.js'
import { type IcebergType, type NestedField, Types } from './types.js'

/** The Arrow field metadata key holding the Iceberg field id, shared with Parquet writers and pyiceberg. */
export const PARQUET_FIELD_ID_KEY = 'PARQUET:field_id'
/** The Arrow field metadata key holding an Iceberg field's doc string (pyiceberg uses the same key). */
export const FIELD_DOC_KEY = 'doc'
/** Arrow's canonical extension-name key; Lake marks uuid columns with it so that `fixed[16]` stays distinct. */
export const ARROW_EXTENSION_NAME_KEY = 'ARROW:extension:name'
/** The extension name of Arrow's canonical UUID type. */
export const ARROW_UUID_EXTENSION = 'arrow.uuid'

/** The Arrow type used for values of an Iceberg type (see the module table). */
export function typeToArrow(type: IcebergType): DataType {
  switch (type.kind) {
    case 'boolean':
      return new Bool()
    case 'int':
      return new Int32()
    case 'long':
      return new Int64()
    case 'float':
      return new Float32()
    case 'double':
      return new Float64()
    case 'decimal':
      return new Decimal(type.scale, type.precision, 128)
    case 'date':
      return new DateDay()
    case 'time':
      return new TimeMicrosecond()
    case 'timestamp':
      return new TimestampMicrosecond()
    case 'timestamptz':
      return new TimestampMicrosecond('UTC')
    case 'string':
      return new Utf8()
    case 'uuid':
      return new FixedSizeBinary(16)
    case 'fixed':
      return new FixedSizeBinary(type.length)
    case 'binary':
      return new Binary()
    case 'struct':
      return new Struct(type.fields.map(fieldToArrow))
    case 'list':
      return new List(arrowField('element', type.elementId, type.element, !type.elementRequired, undefined))
    case 'map': {
      const key = arrowField('key', type.keyId, type.key, false, undefined)
      const value = arrowField('value', type.valueId, type.value, !type.valueRequired, undefined)
      const entries = new Field('key_value', new Struct<Record<string, DataType>>([key, value]), false)
      const map = new Map_(entries as never)
      // apache-arrow renames the entries field to 'entries'; keep Parquet's (and Iceberg's) name.
      ;(entries as { name: string }).name = 'key_value'
      return map
    }
  }
}

/** The Arrow field for an Iceberg field: same name, nullability from `required`, the id in metadata. */
export function fieldToArrow(field: NestedField): Field {
  return arrowField(field.name, field.id, field.type, !field.required, field.doc)
}

function arrowField(
  name: string,
  id: number,
  type: IcebergType,
  nullable: boolean,
  doc: string | undefined,
): Field {
  const metadata = new Map<string, string>([[PARQUET_FIELD_ID_KEY, String(id)]])
  if (doc !== undefined) metadata.set(FIELD_DOC_KEY, doc)
  if (type.kind === 'uuid') metadata.set(ARROW_EXTENSION_NAME_KEY, ARROW_UUID_EXTENSION)
  return new Field(name, typeToArrow(type), nullable, metadata)
}

/**
 * The Arrow schema of a table schema (or of a projection of one), in field order. Record batches
 * returned by scans have exactly this schema.
 */
export function schemaToArrow(schema: Schema | readonly NestedField[]): ArrowSchema {
  const fields = schema instanceof Schema ? schema.fields : schema
  return new ArrowSchema(fields.map(fieldToArrow))
}

/** Options of {@link schemaFromArrow}. */
export interface SchemaFromArrowOptions {
  /** Schema id of the result. Defaults to 0. */
  schemaId?: number
  /**
   * The id given to the first field when the Arrow schema carries no ids; the others follow.
   * Defaults to 1, as for a new table.
   */
  firstFieldId?: number
}

/**
 * The Iceberg schema of an Arrow schema, as used to create a table from (or append) a user's
 * Arrow table.
 *
 * When every field carries {@link PARQUET_FIELD_ID_KEY} metadata (batches read from a table,
 * pyiceberg output) the ids are kept. When none does, fresh ids are assigned in the order of
 * Java's `TypeUtil.assignFreshIds`: all fields of a struct are numbered, in order, before any of
 * them is descended into; a list numbers its element, a map its key then its value, before
 * descending. A schema where only some fields carry ids is refused, since mixing kept and new
 * ids could make two columns share one.
 *
 * Unsigned and narrow integers widen to `int`/`long`, `LargeUtf8`/`LargeBinary`/`LargeList` map
 * to their Iceberg counterparts, dictionaries to their value type. Types Iceberg (as modelled
 * here) cannot hold losslessly — `Uint64`, nanosecond times and timestamps, intervals,
 * durations, unions, decimals wider than 38 digits — raise `UnsupportedError`.
 *
 * @example
 * ```ts
 * const schema = schemaFromArrow(tableFromArrays({ id: Int32Array.of(1, 2) }).schema)
 * // schema.fields[0] → { id: 1, name: 'id', required: false, type: { kind: 'int' } }
 * ```
 */
export function schemaFromArrow(arrowSchema: ArrowSchema, options: SchemaFromArrowOptions = {}): Schema {
  const ids = countIds(arrowSchema.fields)
  if (ids.withId > 0 && ids.withoutId > 0) {
    throw new ValidationError(
      `Arrow schema has '${PARQUET_FIELD_ID_KEY}' on ${ids.withId} fields but not on ${ids.withoutId}; give all fields ids or none`,
    )
  }
  const next = ids.withId > 0 ? undefined : { value: options.firstFieldId ?? 1 }
  const fields = structFields(arrowSchema.fields, next, '')
  return new Schema(fields, options.schemaId ?? 0)
}

/** Issues a fresh id; undefined when ids come from metadata. */
type IdCounter = { value: number } | undefined

function structFields(fields: readonly Field[], next: IdCounter, prefix: string): NestedField[] {
  // Number every field of this struct before descending, as assignFreshIds does.
  const ids = fields.map((f) => fieldId(f, next, prefix))
  return fields.map((f, i) => {
    const name = prefix + f.name
    const out: {
      id: number
      name: string
      required: boolean
      type: IcebergType
      doc?: string
    } = {
      id: ids[i]!,
      name: f.name,
      required: !f.nullable,
      type: typeFromArrow(f, next, name),
    }
    const doc = f.metadata.get(FIELD_DOC_KEY)
    if (doc !== undefined) out.doc = doc
    return out
  })
}

function fieldId(field: Field, next: IdCounter, name: string): number {
  if (next) return next.value++
  const raw = field.metadata.get(PARQUET_FIELD_ID_KEY)
  const id = Number(raw)
  if (raw === undefined || !Number.isInteger(id) || id < 0) {
    throw new ValidationError(`Arrow field '${name}' has an invalid '${PARQUET_FIELD_ID_KEY}': ${raw}`, {
      context: { field: name },
    })
  }
  return id
}

function typeFromArrow(field: Field, next: IdCounter, name: string): IcebergType {
  const type = field.type as DataType
  switch (type.typeId) {
    case Type.Bool:
      return Types.boolean
    case Type.Int: {
      const { bitWidth, isSigned } = type as Int32
      if (bitWidth < 32 || (bitWidth === 32 && isSigned)) return Types.int
      if (bitWidth === 32 || isSigned) return Types.long
      throw unsupported(name, 'Uint64')
    }
    case Type.Float: {
      const { precision } = type as Float64
      return precision === Precision.DOUBLE ? Types.double : Types.float
    }
    case Type.Decimal: {
      const { precision, scale } = type as Decimal
      if (precision > 38) throw unsupported(name, `decimal with precision ${precision}`)
      return Types.decimal(precision, scale)
    }
    case Type.Date:
      return Types.date
    case Type.Time: {
      if ((type as unknown as { unit: TimeUnit }).unit === TimeUnit.NANOSECOND)
        throw unsupported(name, 'nanosecond time')
      return Types.time
    }
    case Type.Timestamp: {
      const { unit, timezone } = type as TimestampMicrosecond
      if (unit === TimeUnit.NANOSECOND) throw unsupported(name, 'nanosecond timestamp')
      // Arrow timestamps with a zone are UTC instants whatever the zone; only display differs.
      return timezone ? Types.timestamptz : Types.timestamp
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return Types.string
    case Type.Binary:
    case Type.LargeBinary:
      return Types.binary
    case Type.FixedSizeBinary: {
      const { byteWidth } = type as FixedSizeBinary
      if (byteWidth === 16 && field.metadata.get(ARROW_EXTENSION_NAME_KEY) === ARROW_UUID_EXTENSION) {
        return Types.uuid
      }
      return Types.fixed(byteWidth)
    }
    case Type.Struct:
      return Types.struct(structFields((type as Struct).children, next, `${name}.`))
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList: {
      const element = (type as List).children[0]!
      const elementId = fieldId(element, next, `${name}.element`)
      return Types.list(elementId, typeFromArrow(element, next, `${name}.element`), !element.nullable)
    }
    case Type.Map: {
      const [key, value] = (type as Map_).children[0]!.type.children as Field[]
      const keyId = fieldId(key!, next, `${name}.key`)
      const valueId = fieldId(value!, next, `${name}.value`)
      return Types.map(
        keyId,
        typeFromArrow(key!, next, `${name}.key`),
        valueId,
        typeFromArrow(value!, next, `${name}.value`),
        !value!.nullable,
      )
    }
    case Type.Dictionary: {
      const dictionary = (type as unknown as { dictionary: DataType }).dictionary
      return typeFromArrow(field.clone({ type: dictionary }), next, name)
    }
    default:
      throw unsupported(name, String(type))
  }
}

function countIds(fields: readonly Field[]): { withId: number; withoutId: number } {
  const counts = { withId: 0, withoutId: 0 }
  const visit = (field: Field) => {
    if (field.metadata.has(PARQUET_FIELD_ID_KEY)) counts.withId++
    else counts.withoutId++
    visitType(field.type as DataType)
  }
  const visitType = (type: DataType) => {
    switch (type.typeId) {
      case Type.Struct:
      case Type.List:
      case Type.LargeList:
      case Type.FixedSizeList:
        for (const child of type.children as Field[]) visit(child)
        break
      case Type.Map:
        for (const child of (type.children[0]!.type as Struct).children) visit(child)
        break
      case Type.Dictionary:
        visitType((type as unknown as { dictionary: DataType }).dictionary)
        break
      default:
        break
    }
  }
  for (const field of fields) visit(field)
  return counts
}

function unsupported(name: string, what: string): UnsupportedError {
  return new UnsupportedError(`Arrow field '${name}' has type ${what}, which Iceberg cannot hold`, {
    context: { field: name },
  })
}
