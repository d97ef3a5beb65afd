/**
 * The Iceberg type system, as plain immutable data.
 *
 * Values of each type are represented in memory ("internal values") as:
 *
 * | Iceberg type            | TypeScript value                          |
 * |-------------------------|-------------------------------------------|
 * | boolean                 | `boolean`                                 |
 * | int                     | `number` (32-bit integer)                 |
 * | long                    | `bigint` (64-bit)                         |
 * | float, double           | `number`                                  |
 * | decimal(P, S)           | `bigint`, the unscaled value              |
 * | date                    | `number`, days since 1970-01-01           |
 * | time                    | `bigint`, microseconds since midnight     |
 * | timestamp, timestamptz  | `bigint`, microseconds since the epoch    |
 * | string                  | `string`                                  |
 * | uuid                    | `string`, lower-case canonical form       |
 * | fixed(L), binary        | `Uint8Array`                              |
 * | struct                  | `Record<string, unknown>` by field name   |
 * | list                    | `unknown[]`                               |
 * | map                     | `Map<unknown, unknown>`                   |
 *
 * Transforms, metrics, bound serialisation and the Parquet writer all work on internal values;
 * user input is converted to them once, at the boundary (see `values.ts`).
 *
 * @module
 */

/** Names of the primitive types that take no parameters. */
export type SimplePrimitiveTypeName =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'binary'

/** A primitive type without parameters, e.g. `{ kind: 'long' }`. */
export interface SimplePrimitiveType {
  readonly kind: SimplePrimitiveTypeName
}

/** `decimal(P, S)`: fixed-point, precision P ≤ 38, scale S. */
export interface DecimalType {
  readonly kind: 'decimal'
  readonly precision: number
  readonly scale: number
}

/** `fixed[L]`: a byte array of exactly L bytes. */
export interface FixedType {
  readonly kind: 'fixed'
  readonly length: number
}

/** Any primitive (non-nested) type. */
export type PrimitiveType = SimplePrimitiveType | DecimalType | FixedType

/** A field of a struct (and of a schema), identified by a table-unique `id`. */
export interface NestedField {
  readonly id: number
  readonly name: string
  readonly required: boolean
  readonly type: IcebergType
  readonly doc?: string
  /** The value readers use for this field in files written before it existed (v3 `initial-default`). */
  readonly initialDefault?: unknown
  /** The value writers use when a row omits this field (v3 `write-default`). */
  readonly writeDefault?: unknown
}

/** A tuple of named fields. */
export interface StructType {
  readonly kind: 'struct'
  readonly fields: readonly NestedField[]
}

/** A list whose element is itself a field with an id. */
export interface ListType {
  readonly kind: 'list'
  readonly elementId: number
  readonly elementRequired: boolean
  readonly element: IcebergType
}

/** A map whose key and value are fields with ids. Keys are always required. */
export interface MapType {
  readonly kind: 'map'
  readonly keyId: number
  readonly key: IcebergType
  readonly valueId: number
  readonly valueRequired: boolean
  readonly value: IcebergType
}

/** Any nested type. */
export type NestedType = StructType | ListType | MapType

/** Any Iceberg type. */
export type IcebergType = PrimitiveType | NestedType

/** Constructors for every type, so code reads like the spec: `T.decimal(9, 2)`, `T.list(3, T.string)`. */
export const Types = {
  boolean: { kind: 'boolean' } as SimplePrimitiveType,
  int: { kind: 'int' } as SimplePrimitiveType,
  long: { kind: 'long' } as SimplePrimitiveType,
  float: { kind: 'float' } as SimplePrimitiveType,
  double: { kind: 'double' } as SimplePrimitiveType,
  date: { kind: 'date' } as SimplePrimitiveType,
  time: { kind: 'time' } as SimplePrimitiveType,
  timestamp: { kind: 'timestamp' } as SimplePrimitiveType,
  timestamptz: { kind: 'timestamptz' } as SimplePrimitiveType,
  string: { kind: 'string' } as SimplePrimitiveType,
  uuid: { kind: 'uuid' } as SimplePrimitiveType,
  binary: { kind: 'binary' } as SimplePrimitiveType,
  decimal: (precision: number, scale: number): DecimalType => ({ kind: 'decimal', precision, scale }),
  fixed: (length: number): FixedType => ({ kind: 'fixed', length }),
  struct: (fields: readonly NestedField[]): StructType => ({ kind: 'struct', fields }),
  list: (elementId: number, element: IcebergType, elementRequired = false): ListType => ({
    kind: 'list',
    elementId,
    element,
    elementRequired,
  }),
  map: (
    keyId: number,
    key: IcebergType,
    valueId: number,
    value: IcebergType,
    valueRequired = false,
  ): MapType => ({
    kind: 'map',
    keyId,
    key,
    valueId,
    value,
    valueRequired,
  }),
} as const

/** True for primitive types. */
export function isPrimitive(type: IcebergType): type is PrimitiveType {
  return type.kind !== 'struct' && type.kind !== 'list' && type.kind !== 'map'
}

/** The spec's string form of a primitive type: `long`, `decimal(9, 2)`, `fixed[16]`. */
export function primitiveToString(type: PrimitiveType): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision}, ${type.scale})`
    case 'fixed':
      return `fixed[${type.length}]`
    default:
      return type.kind
  }
}

/** A readable form of any type, for error messages. */
export function typeToString(type: IcebergType): string {
  switch (type.kind) {
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}: ${typeToString(f.type)}`).join(', ')}>`
    case 'list':
      return `list<${typeToString(type.element)}>`
    case 'map':
      return `map<${typeToString(type.key)}, ${typeToString(type.value)}>`
    default:
      return primitiveToString(type)
  }
}

/** Structural equality of two types, ignoring nothing (field ids, names, requiredness). */
export function typesEqual(a: IcebergType, b: IcebergType): boolean {
  if (a.kind !== b.kind) return false
  switch (a.kind) {
    case 'decimal':
      return a.precision === (b as DecimalType).precision && a.scale === (b as DecimalType).scale
    case 'fixed':
      return a.length === (b as FixedType).length
    case 'struct': {
      const other = b as StructType
      return (
        a.fields.length === other.fields.length &&
        a.fields.every((f, i) => {
          const g = other.fields[i]!
          return f.id === g.id && f.name === g.name && f.required === g.required && typesEqual(f.type, g.type)
        })
      )
    }
    case 'list': {
      const other = b as ListType
      return (
        a.elementId === other.elementId &&
        a.elementRequired === other.elementRequired &&
        typesEqual(a.element, other.element)
      )
    }
    case 'map': {
      const other = b as MapType
      return (
        a.keyId === other.keyId &&
        a.valueId === other.valueId &&
        a.valueRequired === other.valueRequired &&
        typesEqual(a.key, other.key) &&
        typesEqual(a.value, other.value)
      )
    }
    default:
      return true
  }
}
