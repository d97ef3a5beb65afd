/**
 * The Parquet schema of an Iceberg schema, and its primitive leaves in Parquet column order.
 *
 * @module
 */
import { UnsupportedError } from '@lake/errors'
import type { SchemaElement } from 'hyparquet-writer'
import type { Schema } from '../spec/schema.js'
import type { IcebergType, NestedField, PrimitiveType } from '../spec/types.js'

/**
 * The Parquet schema of an Iceberg schema, as the spec's Parquet appendix maps types and as Java's
 * `TypeToMessageType` writes them (root `table`), with the Iceberg field id on every element but
 * the root and the repeated `list` and `key_value` groups, which have no Iceberg field: readers
 * match columns by id, so renamed columns keep their data. Lists are three-level
 * `list`/`element`, maps `key_value`/`key`/`value`; only the Parquet type says which.
 *
 * A struct without fields cannot be written: Parquet has no empty group.
 *
 * Checked once by hand against PyIceberg 0.12 (pyarrow 26) writing the same Iceberg schema (all
 * primitive types, a struct, a list, a map, a list of maps of structs): pyarrow printed the same
 * Parquet schema — physical types, type lengths, logical types (TIME and both TIMESTAMPs in
 * micros with PyIceberg's isAdjustedToUTC, UUID, DECIMAL precision/scale), repetitions, `list`/
 * `element` and `key_value`/`key`/`value` names, and field ids on exactly the same elements —
 * except the root name, `table` here as in Java, `schema` there. The raw converted types matched
 * too (TIMESTAMP_MICROS on both timestamps, none on TIME). pyarrow read every value back, maps
 * with struct keys included.
 */
export function parquetSchema(schema: Schema): SchemaElement[] {
  if (schema.fields.length === 0) throw emptyGroup('the schema')
  const elements: SchemaElement[] = [{ name: 'table', num_children: schema.fields.length }]
  for (const field of schema.fields) addField(elements, field.name, field.id, field.required, field.type)
  return elements
}

function addField(
  out: SchemaElement[],
  name: string,
  id: number,
  required: boolean,
  type: IcebergType,
): void {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL'
  switch (type.kind) {
    case 'struct':
      if (type.fields.length === 0) throw emptyGroup(`struct field ${name} (id ${id})`)
      out.push({ name, repetition_type, num_children: type.fields.length, field_id: id })
      for (const f of type.fields) addField(out, f.name, f.id, f.required, f.type)
      return
    case 'list':
      out.push({
        name,
        repetition_type,
        num_children: 1,
        converted_type: 'LIST',
        logical_type: { type: 'LIST' },
        field_id: id,
      })
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 })
      addField(out, 'element', type.elementId, type.elementRequired, type.element)
      return
    case 'map':
      out.push({
        name,
        repetition_type,
        num_children: 1,
        converted_type: 'MAP',
        logical_type: { type: 'MAP' },
        field_id: id,
      })
      out.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 })
      addField(out, 'key', type.keyId, true, type.key)
      addField(out, 'value', type.valueId, type.valueRequired, type.value)
      return
    default:
      out.push({ name, repetition_type, field_id: id, ...primitiveElement(type) })
  }
}

function emptyGroup(what: string): UnsupportedError {
  return new UnsupportedError(`Parquet cannot store ${what}: it has no fields`, { context: { field: what } })
}

function primitiveElement(type: PrimitiveType): Omit<SchemaElement, 'name'> {
  switch (type.kind) {
    case 'boolean':
      return { type: 'BOOLEAN' }
    case 'int':
      return { type: 'INT32' }
    case 'long':
      return { type: 'INT64' }
    case 'float':
      return { type: 'FLOAT' }
    case 'double':
      return { type: 'DOUBLE' }
    case 'decimal': {
      const decimal = {
        converted_type: 'DECIMAL' as const,
        scale: type.scale,
        precision: type.precision,
        logical_type: { type: 'DECIMAL' as const, scale: type.scale, precision: type.precision },
      }
      if (type.precision <= 9) return { type: 'INT32', ...decimal }
      if (type.precision <= 18) return { type: 'INT64', ...decimal }
      return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(type.precision), ...decimal }
    }
    case 'date':
      return { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } }
    case 'time':
      // No TIME_MICROS converted type: it would claim isAdjustedToUTC=true (pyarrow omits it too).
      return { type: 'INT64', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } }
    case 'timestamp':
    case 'timestamptz':
      return {
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: type.kind === 'timestamptz', unit: 'MICROS' },
      }
    case 'string':
      return { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }
    case 'uuid':
      return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } }
    case 'fixed':
      return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: type.length }
    case 'binary':
      return { type: 'BYTE_ARRAY' }
  }
}

/** The fewest bytes whose two's complement holds every unscaled value of the precision (Java's table). */
export function decimalBytes(precision: number): number {
  let bytes = 1
  while (2 ** (8 * bytes - 1) < 10 ** precision) bytes += 1
  return bytes
}

/** A primitive column of the Parquet file: its Iceberg field, its Parquet path, and whether it repeats. */
export interface Leaf {
  field: NestedField & { type: PrimitiveType }
  /** `path_in_schema`: names from the top-level column down, `list`/`key_value` groups included. */
  path: string[]
  /** Whether a list or map encloses it; such a column gets counts but never bounds. */
  repeated: boolean
}

/** Every primitive leaf of the schema in Parquet column order, the order of a row group's column chunks. */
export function leaves(schema: Schema): Leaf[] {
  const out: Leaf[] = []
  const visit = (
    name: string,
    id: number,
    required: boolean,
    type: IcebergType,
    path: string[],
    repeated: boolean,
  ) => {
    switch (type.kind) {
      case 'struct':
        for (const f of type.fields) visit(f.name, f.id, f.required, f.type, [...path, f.name], repeated)
        return
      case 'list':
        visit(
          'element',
          type.elementId,
          type.elementRequired,
          type.element,
          [...path, 'list', 'element'],
          true,
        )
        return
      case 'map':
        visit('key', type.keyId, true, type.key, [...path, 'key_value', 'key'], true)
        visit('value', type.valueId, type.valueRequired, type.value, [...path, 'key_value', 'value'], true)
        return
      default:
        out.push({ field: { id, name, required, type }, path, repeated })
    }
  }
  for (const f of schema.fields) visit(f.name, f.id, f.required, f.type, [f.name], false)
  return out
}
