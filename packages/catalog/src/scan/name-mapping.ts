/**
 * Name mappings (`schema.name-mapping.default`): how to find Iceberg field ids for the columns of
 * a data file that was written without them, e.g. a Parquet file imported from Hive or Spark.
 * The spec's "Column Projection" section: a mapping is used *only* for files without field ids.
 *
 * @module
 */
import { ValidationError } from '@lake/errors'

/** One entry of a name mapping: the names a field has been written under, and its id. */
export interface MappedField {
  /** The Iceberg field id; absent when the names should be ignored. */
  readonly fieldId?: number
  /** Every name the field has been written under. A `.` is part of the name, not a path. */
  readonly names: readonly string[]
  /** Mappings of nested fields: struct fields, a list's `element`, a map's `key` and `value`. */
  readonly fields?: NameMapping
}

/** A name mapping: the mapped fields of one struct level. */
export type NameMapping = readonly MappedField[]

/** The table property that holds the default name mapping as JSON. */
export const DEFAULT_NAME_MAPPING_PROPERTY = 'schema.name-mapping.default'

/**
 * Parses a name mapping from its JSON form (the value of {@link DEFAULT_NAME_MAPPING_PROPERTY}),
 * given as text or already parsed.
 *
 * @example
 * ```ts
 * const mapping = parseNameMapping(table.properties['schema.name-mapping.default'])
 * ```
 */
export function parseNameMapping(json: unknown): NameMapping {
  const value = typeof json === 'string' ? parseJson(json) : json
  return parseFields(value, '')
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new ValidationError(`Name mapping is not valid JSON`, { cause })
  }
}

function parseFields(value: unknown, where: string): MappedField[] {
  if (!Array.isArray(value)) throw invalid('must be a list of field mappings', where)
  return value.map((entry, i) => {
    const at = `${where}[${i}]`
    if (typeof entry !== 'object' || entry === null) throw invalid('must be an object', at)
    const obj = entry as Record<string, unknown>
    const names = obj.names
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      throw invalid("needs 'names', a list of strings", at)
    }
    const id = obj['field-id']
    if (id !== undefined && id !== null && !Number.isInteger(id))
      throw invalid("'field-id' must be an integer", at)
    const field: { fieldId?: number; names: string[]; fields?: MappedField[] } = { names: names as string[] }
    if (typeof id === 'number') field.fieldId = id
    if (obj.fields !== undefined && obj.fields !== null)
      field.fields = parseFields(obj.fields, `${at}.fields`)
    return field
  })
}

function invalid(message: string, where: string): ValidationError {
  return new ValidationError(`Name mapping entry ${where || '(root)'} ${message}`)
}

/** The mapping entry for a field written as `name` at this level, if any. */
export function findMappedField(mapping: NameMapping | undefined, name: string): MappedField | undefined {
  return mapping?.find((f) => f.names.includes(name))
}
