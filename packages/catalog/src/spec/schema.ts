import { CorruptFileError, ValidationError } from '@lake/errors'
import {
  type IcebergType,
  type NestedField,
  type PrimitiveType,
  type SimplePrimitiveTypeName,
  type StructType,
  Types,
} from './types.js'

/**
 * A table schema: a struct of fields with table-unique ids, plus the ids of the fields that
 * identify a row. Immutable; lookups by id and by dotted name are indexed once.
 */
export class Schema {
  /** The schema's id within the table metadata. */
  readonly schemaId: number
  /** Top-level fields. */
  readonly fields: readonly NestedField[]
  /** Ids of the fields that together identify a row (may be empty). */
  readonly identifierFieldIds: readonly number[]
  readonly #byId = new Map<number, NestedField>()
  readonly #byName = new Map<string, NestedField>()
  readonly #byNameLower = new Map<string, NestedField>()
  readonly #nameById = new Map<number, string>()
  readonly #parentById = new Map<number, number>()

  constructor(fields: readonly NestedField[], schemaId = 0, identifierFieldIds: readonly number[] = []) {
    this.fields = fields
    this.schemaId = schemaId
    this.identifierFieldIds = identifierFieldIds
    this.#index(fields, '', undefined)
  }

  #index(fields: readonly NestedField[], prefix: string, parent: number | undefined): void {
    for (const field of fields) {
      const name = prefix + field.name
      this.#add(field, name, parent)
      this.#indexType(field.type, name, field.id)
    }
  }

  #indexType(type: IcebergType, name: string, parent: number): void {
    switch (type.kind) {
      case 'struct':
        this.#index(type.fields, `${name}.`, parent)
        break
      case 'list': {
        const element: NestedField = {
          id: type.elementId,
          name: 'element',
          required: type.elementRequired,
          type: type.element,
        }
        this.#add(element, `${name}.element`, parent)
        this.#indexType(type.element, `${name}.element`, type.elementId)
        break
      }
      case 'map': {
        const key: NestedField = { id: type.keyId, name: 'key', required: true, type: type.key }
        const value: NestedField = {
          id: type.valueId,
          name: 'value',
          required: type.valueRequired,
          type: type.value,
        }
        this.#add(key, `${name}.key`, parent)
        this.#indexType(type.key, `${name}.key`, type.keyId)
        this.#add(value, `${name}.value`, parent)
        this.#indexType(type.value, `${name}.value`, type.valueId)
        break
      }
      default:
        break
    }
  }

  #add(field: NestedField, name: string, parent: number | undefined): void {
    if (this.#byId.has(field.id)) {
      throw new ValidationError(
        `Field id ${field.id} is used twice (by '${this.#nameById.get(field.id)}' and '${name}')`,
        {
          context: { field: name },
        },
      )
    }
    if (this.#byName.has(name)) {
      throw new ValidationError(`Field name '${name}' is used twice`, { context: { field: name } })
    }
    this.#byId.set(field.id, field)
    this.#byName.set(name, field)
    this.#byNameLower.set(name.toLowerCase(), field)
    this.#nameById.set(field.id, name)
    if (parent !== undefined) this.#parentById.set(field.id, parent)
  }

  /** The schema as a struct type. */
  asStruct(): StructType {
    return Types.struct(this.fields)
  }

  /** The field with this id, at any depth (list elements and map keys/values included). */
  findField(id: number): NestedField | undefined {
    return this.#byId.get(id)
  }

  /** The field with this dotted name, e.g. `location.lat`; optionally case-insensitive. */
  findFieldByName(name: string, caseSensitive = true): NestedField | undefined {
    return caseSensitive ? this.#byName.get(name) : this.#byNameLower.get(name.toLowerCase())
  }

  /** The dotted full name of the field with this id. */
  findColumnName(id: number): string | undefined {
    return this.#nameById.get(id)
  }

  /** The id of the struct, list or map field that contains field `id`, if it is nested. */
  parentId(id: number): number | undefined {
    return this.#parentById.get(id)
  }

  /** The highest field id in use; new fields are numbered after it. */
  highestFieldId(): number {
    let highest = 0
    for (const id of this.#byId.keys()) highest = Math.max(highest, id)
    return highest
  }

  /** Every field id, depth first. */
  allFieldIds(): number[] {
    return [...this.#byId.keys()]
  }

  /** The same fields under another schema id. */
  withSchemaId(schemaId: number): Schema {
    return new Schema(this.fields, schemaId, this.identifierFieldIds)
  }

  /** True when both schemas have the same fields and identifier fields, whatever their ids. */
  sameSchema(other: Schema): boolean {
    return (
      JSON.stringify(schemaToJson(this.withSchemaId(0))) ===
      JSON.stringify(schemaToJson(other.withSchemaId(0)))
    )
  }
}

// ---------------------------------------------------------------------------------------------
// JSON serialisation, exactly as the spec's "Schemas" appendix gives it.

/** A type in the spec's JSON form. */
export type TypeJson = string | StructTypeJson | ListTypeJson | MapTypeJson

/** A struct type in JSON. */
export interface StructTypeJson {
  type: 'struct'
  fields: FieldJson[]
}

/** A struct field in JSON. */
export interface FieldJson {
  id: number
  name: string
  required: boolean
  type: TypeJson
  doc?: string
  'initial-default'?: unknown
  'write-default'?: unknown
}

/** A list type in JSON. */
export interface ListTypeJson {
  type: 'list'
  'element-id': number
  'element-required': boolean
  element: TypeJson
}

/** A map type in JSON. */
export interface MapTypeJson {
  type: 'map'
  'key-id': number
  key: TypeJson
  'value-id': number
  'value-required': boolean
  value: TypeJson
}

/** A schema in JSON. */
export interface SchemaJson extends StructTypeJson {
  'schema-id': number
  'identifier-field-ids'?: number[]
}

/** Serialises a type to the spec's JSON form. */
export function typeToJson(type: IcebergType): TypeJson {
  switch (type.kind) {
    case 'struct':
      return { type: 'struct', fields: type.fields.map(fieldToJson) }
    case 'list':
      return {
        type: 'list',
        'element-id': type.elementId,
        'element-required': type.elementRequired,
        element: typeToJson(type.element),
      }
    case 'map':
      return {
        type: 'map',
        'key-id': type.keyId,
        key: typeToJson(type.key),
        'value-id': type.valueId,
        'value-required': type.valueRequired,
        value: typeToJson(type.value),
      }
    case 'decimal':
      return `decimal(${type.precision}, ${type.scale})`
    case 'fixed':
      return `fixed[${type.length}]`
    default:
      return type.kind
  }
}

function fieldToJson(field: NestedField): FieldJson {
  const json: FieldJson = {
    id: field.id,
    name: field.name,
    required: field.required,
    type: typeToJson(field.type),
  }
  if (field.doc !== undefined) json.doc = field.doc
  if (field.initialDefault !== undefined) json['initial-default'] = field.initialDefault
  if (field.writeDefault !== undefined) json['write-default'] = field.writeDefault
  return json
}

/** Serialises a schema to the spec's JSON form. */
export function schemaToJson(schema: Schema): SchemaJson {
  const json: SchemaJson = {
    type: 'struct',
    'schema-id': schema.schemaId,
    fields: schema.fields.map(fieldToJson),
  }
  if (schema.identifierFieldIds.length > 0) json['identifier-field-ids'] = [...schema.identifierFieldIds]
  return json
}

const SIMPLE_PRIMITIVES = new Set<SimplePrimitiveTypeName>([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'string',
  'uuid',
  'binary',
])
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/
const FIXED = /^fixed\[\s*(\d+)\s*\]$/

/** Parses a primitive type name such as `long`, `decimal(9,2)` or `fixed[16]`. */
export function parsePrimitiveType(name: string): PrimitiveType | undefined {
  if (SIMPLE_PRIMITIVES.has(name as SimplePrimitiveTypeName)) return { kind: name as SimplePrimitiveTypeName }
  const decimal = DECIMAL.exec(name)
  if (decimal) return Types.decimal(Number(decimal[1]), Number(decimal[2]))
  const fixed = FIXED.exec(name)
  if (fixed) return Types.fixed(Number(fixed[1]))
  return undefined
}

/** Parses a type from the spec's JSON form; `where` names the file for error messages. */
export function typeFromJson(json: unknown, where?: string): IcebergType {
  if (typeof json === 'string') {
    const type = parsePrimitiveType(json)
    if (!type) throw corrupt(`Unknown type '${json}'`, where)
    return type
  }
  if (typeof json !== 'object' || json === null) throw corrupt(`Invalid type ${JSON.stringify(json)}`, where)
  const obj = json as Record<string, unknown>
  switch (obj.type) {
    case 'struct': {
      if (!Array.isArray(obj.fields)) throw corrupt('Struct type without fields', where)
      return Types.struct(obj.fields.map((f) => fieldFromJson(f, where)))
    }
    case 'list':
      return Types.list(
        int(obj['element-id'], 'element-id', where),
        typeFromJson(obj.element, where),
        bool(obj['element-required'], 'element-required', where),
      )
    case 'map':
      return Types.map(
        int(obj['key-id'], 'key-id', where),
        typeFromJson(obj.key, where),
        int(obj['value-id'], 'value-id', where),
        typeFromJson(obj.value, where),
        bool(obj['value-required'], 'value-required', where),
      )
    default:
      throw corrupt(`Unknown nested type ${JSON.stringify(obj.type)}`, where)
  }
}

function fieldFromJson(json: unknown, where?: string): NestedField {
  if (typeof json !== 'object' || json === null) throw corrupt('Invalid struct field', where)
  const obj = json as Record<string, unknown>
  if (typeof obj.name !== 'string') throw corrupt('Struct field without a name', where)
  const field: {
    id: number
    name: string
    required: boolean
    type: IcebergType
    doc?: string
    initialDefault?: unknown
    writeDefault?: unknown
  } = {
    id: int(obj.id, 'id', where),
    name: obj.name,
    required: bool(obj.required, 'required', where),
    type: typeFromJson(obj.type, where),
  }
  if (typeof obj.doc === 'string') field.doc = obj.doc
  if (obj['initial-default'] !== undefined) field.initialDefault = obj['initial-default']
  if (obj['write-default'] !== undefined) field.writeDefault = obj['write-default']
  return field
}

/** Parses a schema from the spec's JSON form (v1 schemas without `schema-id` get id 0). */
export function schemaFromJson(json: unknown, where?: string): Schema {
  const struct = typeFromJson(json, where)
  if (struct.kind !== 'struct') throw corrupt('A schema must be a struct', where)
  const obj = json as Record<string, unknown>
  const schemaId = obj['schema-id'] === undefined ? 0 : int(obj['schema-id'], 'schema-id', where)
  const ids = obj['identifier-field-ids']
  const identifierFieldIds = Array.isArray(ids) ? ids.map((id) => int(id, 'identifier-field-ids', where)) : []
  return new Schema(struct.fields, schemaId, identifierFieldIds)
}

function int(value: unknown, key: string, where?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw corrupt(`'${key}' must be an integer`, where)
  return value
}

function bool(value: unknown, key: string, where?: string): boolean {
  if (typeof value !== 'boolean') throw corrupt(`'${key}' must be a boolean`, where)
  return value
}

function corrupt(message: string, where?: string): CorruptFileError {
  return new CorruptFileError(
    where ? `${message} in ${where}` : message,
    where ? { context: { file: where } } : {},
  )
}
