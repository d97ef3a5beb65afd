/**
 * Schema evolution for `schemaEvolution: 'add-columns'`, as pure code: which columns a row
 * needs that a schema lacks, with types inferred from the row's values, and which columns it
 * needs wider. No I/O: {@link evolveSchema} commits what this finds.
 *
 * @module
 */
import {
  type IcebergType,
  type NestedField,
  type PrimitiveType,
  type Schema,
  Types,
  typeToString,
} from '@lake/catalog'
import { ValidationError } from '@lake/errors'
import type { Row } from './decode.js'

/**
 * A column a row needs and the schema lacks. `path` names it from the top: `['device',
 * 'model']` is the field `model` inside the struct column `device` (inside the element struct
 * when `device` is a list of structs). The ids inside `type` are placeholders: the schema update
 * assigns fresh ones.
 */
export interface ColumnAddition {
  readonly path: readonly string[]
  readonly type: IcebergType
}

/** A primitive column a row needs wider, by one of the spec's promotions: int → long or float → double. */
export interface ColumnWidening {
  readonly path: readonly string[]
  readonly from: PrimitiveType
  readonly to: PrimitiveType
}

/** What rows need of a schema: new optional columns and wider types. */
export interface SchemaChanges {
  readonly additions: readonly ColumnAddition[]
  readonly widenings: readonly ColumnWidening[]
}

const INT_MIN = -(2 ** 31)
const INT_MAX = 2 ** 31 - 1

/**
 * The Iceberg type of a value, inferred conservatively: a boolean is a `boolean`; a whole
 * number (or a bigint) a `long`, never an `int`, so that larger values later still fit; any
 * other number a `double`; text a `string` (never a timestamp, date or decimal, however it looks:
 * guessing from text would make later values that do not parse dead letters); a `Date` a
 * `timestamptz`; bytes `binary`; an object a `struct` of its inferable fields; an array a `list`
 * of its elements' type (whole and other numbers together make `double`; objects merge their
 * fields). Undefined when nothing can be told yet: `null`, an empty array or object, or only
 * nulls inside. Values that no one type holds (an array of numbers and text) are a
 * `ValidationError` naming the field.
 */
export function inferType(value: unknown, path: string): IcebergType | undefined {
  if (value === null || value === undefined) return undefined
  switch (typeof value) {
    case 'boolean':
      return Types.boolean
    case 'bigint':
      return Types.long
    case 'number':
      return Number.isInteger(value) ? Types.long : Types.double
    case 'string':
      return Types.string
  }
  if (value instanceof Date) return Types.timestamptz
  if (value instanceof Uint8Array) return Types.binary
  if (Array.isArray(value)) {
    let element: IcebergType | undefined
    for (let i = 0; i < value.length; i++) {
      element = merge(element, inferType(value[i], `${path}[${i}]`), path)
    }
    return element === undefined ? undefined : Types.list(0, element, false)
  }
  if (isPlainObject(value)) {
    const fields: NestedField[] = []
    for (const name of Object.keys(value)) {
      const type = inferType(value[name], join(path, name))
      if (type !== undefined) fields.push({ id: 0, name: checkName(name, path), required: false, type })
    }
    return fields.length === 0 ? undefined : Types.struct(fields)
  }
  throw new ValidationError(`Field '${path}' holds a value whose column type cannot be inferred`, {
    context: { field: path },
  })
}

/**
 * What `rows` need of `schema`: a column for every field, at any depth of a struct (or of a
 * list of structs), that the schema lacks and whose value shows its type (see
 * {@link inferType}); and int → long where a whole number is beyond the int range, float →
 * double where a number is beyond the float range. Fields whose type cannot be told yet are
 * passed over (see {@link withoutUninferable}). Values that do not fit a column in any other way
 * are not reported here: validation refuses them, naming the field.
 */
export function schemaChanges(schema: Schema, rows: readonly Row[]): SchemaChanges {
  const additions = new Map<string, ColumnAddition>()
  const widenings = new Map<string, ColumnWidening>()
  const diffStruct = (fields: readonly NestedField[], input: Row, path: readonly string[]) => {
    for (const name of Object.keys(input)) {
      const value = input[name]
      const at = [...path, name]
      const field = fields.find((f) => f.name === name)
      if (field) {
        diffValue(field.type, value, at)
        continue
      }
      const key = at.join('.')
      const type = merge(additions.get(key)?.type, inferType(value, key), key)
      if (type !== undefined) additions.set(key, { path: at, type: withName(type, name, path) })
    }
  }
  const diffValue = (type: IcebergType, value: unknown, path: readonly string[]) => {
    if (value === null || value === undefined) return
    if (type.kind === 'struct' && isPlainObject(value)) diffStruct(type.fields, value, path)
    else if (type.kind === 'list' && type.element.kind === 'struct' && Array.isArray(value)) {
      const { fields } = type.element
      for (const element of value) if (isPlainObject(element)) diffStruct(fields, element, path)
    } else if (type.kind === 'int' && needsLong(value)) {
      widenings.set(path.join('.'), { path, from: type, to: Types.long })
    } else if (type.kind === 'float' && needsDouble(value)) {
      widenings.set(path.join('.'), { path, from: type, to: Types.double })
    }
  }
  for (const row of rows) diffStruct(schema.fields, row, [])
  return { additions: [...additions.values()], widenings: [...widenings.values()] }
}

/** Whether {@link schemaChanges} found anything to change. */
export function hasChanges(changes: SchemaChanges): boolean {
  return changes.additions.length > 0 || changes.widenings.length > 0
}

/**
 * What `'add-columns'` does with a row that failed validation against `schema`: evolve the
 * schema (`changes`, then validate again), validate again at once without the fields whose type
 * cannot be told yet (`row`), or nothing (undefined: the failure stands, as for a string in a
 * long column). A value no type holds throws a `ValidationError` naming the field.
 */
export function evolutionOf(schema: Schema, row: Row): { changes: SchemaChanges } | { row: Row } | undefined {
  const changes = schemaChanges(schema, [row])
  if (hasChanges(changes)) return { changes }
  const pruned = withoutUninferable(schema, row)
  return pruned === row ? undefined : { row: pruned }
}

/**
 * The row without the fields the schema lacks whose type cannot be told yet (`null`, `[]`, `{}`,
 * only nulls inside), at any depth; they get a column once a value shows its type. The row
 * itself when there is none; otherwise a copy, the row is not changed.
 */
export function withoutUninferable(schema: Schema, row: Row): Row {
  return pruneStruct(schema.fields, row)
}

function pruneStruct(fields: readonly NestedField[], input: Row): Row {
  let out: Row | undefined
  for (const name of Object.keys(input)) {
    const value = input[name]
    const field = fields.find((f) => f.name === name)
    if (!field) {
      if (!inferable(value)) {
        out ??= { ...input }
        delete out[name]
      }
      continue
    }
    const pruned = pruneValue(field.type, value)
    if (pruned !== value) {
      out ??= { ...input }
      out[name] = pruned
    }
  }
  return out ?? input
}

function pruneValue(type: IcebergType, value: unknown): unknown {
  if (type.kind === 'struct' && isPlainObject(value)) return pruneStruct(type.fields, value)
  if (type.kind === 'list' && type.element.kind === 'struct' && Array.isArray(value)) {
    const { fields } = type.element
    let changed = false
    const out = value.map((element) => {
      const pruned = isPlainObject(element) ? pruneStruct(fields, element) : element
      changed ||= pruned !== element
      return pruned
    })
    return changed ? out : value
  }
  return value
}

/** Whether a value shows a type; a value no type holds counts as inferable, so that validation refuses it. */
function inferable(value: unknown): boolean {
  try {
    return inferType(value, '') !== undefined
  } catch {
    return true
  }
}

/** One type for two values of a field: the same, or double for whole and other numbers, structs and lists merged. */
function merge(
  a: IcebergType | undefined,
  b: IcebergType | undefined,
  path: string,
): IcebergType | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  if (a.kind === b.kind) {
    if (a.kind === 'struct' && b.kind === 'struct') {
      const fields = [...a.fields]
      for (const field of b.fields) {
        const i = fields.findIndex((f) => f.name === field.name)
        if (i < 0) fields.push(field)
        else fields[i] = { ...field, type: merge(fields[i]!.type, field.type, join(path, field.name))! }
      }
      return Types.struct(fields)
    }
    if (a.kind === 'list' && b.kind === 'list')
      return Types.list(0, merge(a.element, b.element, path)!, false)
    return a
  }
  const kinds = new Set([a.kind, b.kind])
  if (kinds.has('long') && kinds.has('double')) return Types.double
  throw new ValidationError(
    `Field '${path}' holds values of types ${typeToString(a)} and ${typeToString(b)}; no one column type holds both`,
    { context: { field: path } },
  )
}

/** A whole number (or bigint) beyond the int range, which an int column cannot hold but a long can. */
function needsLong(value: unknown): boolean {
  if (typeof value === 'bigint') return value < BigInt(INT_MIN) || value > BigInt(INT_MAX)
  return typeof value === 'number' && Number.isInteger(value) && (value < INT_MIN || value > INT_MAX)
}

/** A finite number that overflows a float, which a double holds. */
function needsDouble(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isFinite(Math.fround(value))
}

/** The name a new column is added under: checked, since schema paths are dotted. */
function withName(type: IcebergType, name: string, parent: readonly string[]): IcebergType {
  checkName(name, parent.join('.'))
  return type
}

function checkName(name: string, parent: string): string {
  if (name === '' || name.includes('.')) {
    const field = join(parent, name)
    throw new ValidationError(`Field '${field}' cannot become a column: its name is empty or has a dot`, {
      context: { field },
    })
  }
  return name
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name
}

function isPlainObject(value: unknown): value is Row {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
