/**
 * Partition specs, as the spec's "Partitioning" section describes them: how a row's partition
 * tuple is derived from its columns, plus the rules Java applies when a spec is created or
 * evolved (field ids from 1000, reused for an equivalent field of an earlier spec).
 *
 * @module
 */
import { ValidationError } from '@lake/errors'
import type { Schema } from './schema.js'
import { JsonFieldReader, type JsonObject, type JsonValue } from './snapshot.js'
import { parseTransform, type Transform, transformToString } from './transform.js'
import { canTransform, transformResultType } from './transforms.js'
import {
  isPrimitive,
  type NestedField,
  type PrimitiveType,
  primitiveToString,
  type StructType,
  Types,
} from './types.js'

/** The first partition field id; ids below it belong to table columns. */
export const PARTITION_DATA_ID_START = 1000

/** `last-partition-id` of a table that was never partitioned. */
export const UNPARTITIONED_LAST_ASSIGNED_ID = PARTITION_DATA_ID_START - 1

/** One field of a partition tuple: a transform of a source column. */
export interface PartitionField {
  /** The table column the value is derived from. */
  readonly sourceId: number
  /** The partition field's own id, unique across all the table's specs for distinct fields. */
  readonly fieldId: number
  readonly name: string
  readonly transform: Transform
}

/** A partition spec: the fields of the partition tuple, under a table-unique `specId`. */
export interface PartitionSpec {
  readonly specId: number
  readonly fields: readonly PartitionField[]
}

/**
 * A partition field whose id may not be assigned yet, as the REST `add-spec` update carries it;
 * the table assigns the id (reusing the id of an equivalent field of an earlier spec).
 */
export interface UnboundPartitionField {
  readonly sourceId: number
  readonly fieldId?: number
  readonly name: string
  readonly transform: Transform
}

/** A partition spec whose id and field ids may not be assigned yet (REST `add-spec`). */
export interface UnboundPartitionSpec {
  readonly specId?: number
  readonly fields: readonly UnboundPartitionField[]
}

/** The spec of an unpartitioned table. */
export const UNPARTITIONED: PartitionSpec = Object.freeze({ specId: 0, fields: Object.freeze([]) })

/** The highest field id a spec uses; new fields are numbered after it. */
export function lastAssignedFieldId(spec: PartitionSpec): number {
  return spec.fields.reduce((max, f) => Math.max(max, f.fieldId), UNPARTITIONED_LAST_ASSIGNED_ID)
}

/** True when some field actually partitions data (void fields, left behind by v1 evolution, do not). */
export function isPartitioned(spec: PartitionSpec): boolean {
  return spec.fields.some((f) => f.transform.kind !== 'void')
}

/** True when field ids run 1000, 1001, … as v1 tables require (v1 readers infer them from position). */
export function hasSequentialIds(spec: PartitionSpec): boolean {
  return spec.fields.every((f, i) => f.fieldId === PARTITION_DATA_ID_START + i)
}

/**
 * True when two specs partition data the same way, whatever their spec ids and field ids
 * (Java's `PartitionSpec.compatibleWith`): a table reuses the existing spec instead of adding
 * an equivalent one.
 */
export function specCompatible(a: UnboundPartitionSpec, b: UnboundPartitionSpec): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => {
      const g = b.fields[i]!
      return f.sourceId === g.sourceId && f.name === g.name && sameTransform(f.transform, g.transform)
    })
  )
}

/** Equality including the spec id and every field id. */
export function partitionSpecsEqual(a: PartitionSpec, b: PartitionSpec): boolean {
  return (
    a.specId === b.specId &&
    specCompatible(a, b) &&
    a.fields.every((f, i) => f.fieldId === b.fields[i]!.fieldId)
  )
}

function sameTransform(a: Transform, b: Transform): boolean {
  return transformToString(a) === transformToString(b)
}

// ---------------------------------------------------------------------------------------------
// JSON

/** Serialises a spec as Java's `PartitionSpecParser` does; unassigned ids are left out. */
export function partitionSpecToJson(spec: UnboundPartitionSpec): JsonObject {
  const json: JsonObject = {}
  if (spec.specId !== undefined) json['spec-id'] = spec.specId
  json.fields = partitionFieldsToJson(spec.fields)
  return json
}

/** The `fields` array of a spec, also written on its own as v1's `partition-spec`. */
export function partitionFieldsToJson(fields: readonly UnboundPartitionField[]): JsonObject[] {
  return fields.map((f) => {
    const json: JsonObject = {
      name: f.name,
      transform: transformToString(f.transform),
      'source-id': f.sourceId,
    }
    if (f.fieldId !== undefined) json['field-id'] = f.fieldId
    return json
  })
}

/** Parses a spec whose ids may be missing, as REST requests carry it. */
export function unboundPartitionSpecFromJson(json: unknown, where?: string): UnboundPartitionSpec {
  const r = new JsonFieldReader(json, 'a partition spec', where)
  const specId = r.optionalInt('spec-id')
  const fields = r.array('fields').map((f) => unboundFieldFromJson(f, where))
  return specId === undefined ? { fields } : { specId, fields }
}

function unboundFieldFromJson(json: unknown, where?: string): UnboundPartitionField {
  const r = new JsonFieldReader(json, 'a partition field', where)
  const fieldId = r.optionalInt('field-id')
  const field = {
    sourceId: r.int('source-id'),
    name: r.string('name'),
    transform: readTransform(r),
  }
  return fieldId === undefined ? field : { ...field, fieldId }
}

/** Reads a `transform` member, reporting an unknown transform as a corrupt file. */
export function readTransform(r: JsonFieldReader): Transform {
  const text = r.string('transform')
  try {
    return parseTransform(text)
  } catch (error) {
    throw r.error(`Unknown transform '${text}'`, error)
  }
}

/**
 * Parses a spec from table metadata. Field ids missing from v1 metadata are 1000, 1001, … by
 * position, as the reference implementation always assigned them.
 */
export function partitionSpecFromJson(json: unknown, where?: string): PartitionSpec {
  const r = new JsonFieldReader(json, 'a partition spec', where)
  const unbound = unboundPartitionSpecFromJson(json, where)
  return bindSequentialIds(r.int('spec-id'), unbound.fields)
}

/** Parses v1's `partition-spec` (a bare field array) as spec 0. */
export function partitionSpecFromV1Fields(json: unknown, where?: string): PartitionSpec {
  return partitionSpecFromJson({ 'spec-id': 0, fields: (json ?? []) as JsonValue }, where)
}

function bindSequentialIds(specId: number, fields: readonly UnboundPartitionField[]): PartitionSpec {
  return {
    specId,
    fields: fields.map((f, i) => ({
      sourceId: f.sourceId,
      fieldId: f.fieldId ?? PARTITION_DATA_ID_START + i,
      name: f.name,
      transform: f.transform,
    })),
  }
}

// ---------------------------------------------------------------------------------------------
// Binding to a schema

/**
 * The type of a spec's partition tuple, as manifests store it: one optional field per partition
 * field, typed by its transform's result.
 */
export function partitionType(spec: PartitionSpec, schema: Schema): StructType {
  const fields: NestedField[] = spec.fields.map((f) => ({
    id: f.fieldId,
    name: f.name,
    required: false,
    type: transformResultType(f.transform, checkTransformSource(schema, f.sourceId, f.transform)),
  }))
  return Types.struct(fields)
}

/**
 * The type of a transform's source column, after checking that the column exists, is primitive
 * and is one the transform can apply to.
 */
export function checkTransformSource(schema: Schema, sourceId: number, transform: Transform): PrimitiveType {
  const source = schema.findField(sourceId)
  const name = transformToString(transform)
  if (!source) {
    throw new ValidationError(`Cannot find source column ${sourceId} for transform ${name}`, {
      context: { field: String(sourceId) },
    })
  }
  const column = schema.findColumnName(sourceId) ?? source.name
  if (!isPrimitive(source.type)) {
    throw new ValidationError(`Cannot apply ${name} to non-primitive column '${column}'`, {
      context: { field: column },
    })
  }
  if (!canTransform(transform, source.type)) {
    throw new ValidationError(
      `Cannot apply ${name} to column '${column}' of type ${primitiveToString(source.type)}`,
      {
        context: { field: column },
      },
    )
  }
  return source.type
}

/**
 * Checks that a spec can partition data of `schema` (Java's `PartitionSpec.checkCompatibility`):
 * every source column exists, is primitive, suits its transform, and is not inside a list or
 * map. Void fields are exempt: v1 keeps them for columns that may since have been dropped.
 */
export function validatePartitionSpec(spec: UnboundPartitionSpec, schema: Schema): void {
  for (const field of spec.fields) {
    if (field.transform.kind === 'void') continue
    checkTransformSource(schema, field.sourceId, field.transform)
    for (
      let parent = schema.parentId(field.sourceId);
      parent !== undefined;
      parent = schema.parentId(parent)
    ) {
      if (schema.findField(parent)?.type.kind !== 'struct') {
        const column = schema.findColumnName(field.sourceId)
        throw new ValidationError(`Cannot partition by '${column}': it is inside a list or map`, {
          context: { field: column },
        })
      }
    }
  }
}

/** One field of a spec being built; the name defaults as in Java (`ts_day`, `id_bucket`, …). */
export interface PartitionFieldInput {
  readonly sourceId: number
  readonly transform: Transform
  readonly name?: string
  readonly fieldId?: number
}

/** Options of {@link buildPartitionSpec}. */
export interface BuildPartitionSpecOptions {
  /** Defaults to 0. */
  readonly specId?: number
  /** New field ids are numbered after this; defaults to 999, so the first is 1000. */
  readonly lastAssignedFieldId?: number
}

/**
 * Builds and validates a new spec against a schema, with the checks of Java's
 * `PartitionSpec.Builder`: the source column must exist and be primitive, the transform must
 * suit it, names must be non-empty and unique and must not be a schema column's name unless
 * the field is an identity of that very column, and no field may repeat another (two time
 * transforms of one column count as a repeat).
 *
 * @example
 * ```ts
 * buildPartitionSpec(schema, [{ sourceId: 3, transform: { kind: 'day' } }]) // field 1000, 'ts_day'
 * ```
 */
export function buildPartitionSpec(
  schema: Schema,
  fields: readonly PartitionFieldInput[],
  options: BuildPartitionSpecOptions = {},
): PartitionSpec {
  let nextId = options.lastAssignedFieldId ?? UNPARTITIONED_LAST_ASSIGNED_ID
  const names = new Set<string>()
  const dedup = new Map<string, UnboundPartitionField>()
  const ids = new Set<number>()
  const built: PartitionField[] = []
  for (const input of fields) {
    // A void field may outlive its column (v1 evolution); every other source must suit its transform.
    const isVoid = input.transform.kind === 'void'
    if (!isVoid || schema.findField(input.sourceId))
      checkTransformSource(schema, input.sourceId, input.transform)
    const sourceName = schema.findColumnName(input.sourceId) ?? String(input.sourceId)
    const name = input.name ?? defaultPartitionName(sourceName, input.transform)
    checkPartitionName(schema, names, name, input)
    const key = `${input.sourceId}:${dedupName(input.transform)}`
    const existing = dedup.get(key)
    if (existing && !isVoid) {
      throw new ValidationError(
        `Cannot add redundant partition field '${name}': it repeats '${existing.name}' (${transformToString(existing.transform)} of '${sourceName}')`,
        { context: { field: name } },
      )
    }
    const field: PartitionField = {
      sourceId: input.sourceId,
      fieldId: input.fieldId ?? ++nextId,
      name,
      transform: input.transform,
    }
    if (ids.has(field.fieldId)) {
      throw new ValidationError(`Partition field id ${field.fieldId} is used twice`, {
        context: { field: name },
      })
    }
    nextId = Math.max(nextId, field.fieldId)
    ids.add(field.fieldId)
    dedup.set(key, field)
    built.push(field)
  }
  const spec = { specId: options.specId ?? 0, fields: built }
  validatePartitionSpec(spec, schema)
  return spec
}

function checkPartitionName(
  schema: Schema,
  names: Set<string>,
  name: string,
  input: PartitionFieldInput,
): void {
  if (name.length === 0)
    throw new ValidationError('Cannot use an empty partition name', { context: { field: name } })
  if (names.has(name)) {
    throw new ValidationError(`Cannot use partition name '${name}' more than once`, {
      context: { field: name },
    })
  }
  const column = schema.findFieldByName(name)
  if (column && !(input.transform.kind === 'identity' && column.id === input.sourceId)) {
    throw new ValidationError(
      input.transform.kind === 'identity'
        ? `Cannot create identity partition '${name}' sourced from a different column than the one of that name`
        : `Cannot create partition '${name}': a schema column has that name`,
      { context: { field: name } },
    )
  }
  names.add(name)
}

/** Java's default partition field names. */
function defaultPartitionName(sourceName: string, transform: Transform): string {
  switch (transform.kind) {
    case 'identity':
      return sourceName
    case 'bucket':
      return `${sourceName}_bucket`
    case 'truncate':
      return `${sourceName}_trunc`
    case 'void':
      return `${sourceName}_null`
    default:
      return `${sourceName}_${transform.kind}`
  }
}

/** Transforms that partition a column the same way share a dedup name (all time transforms do). */
function dedupName(transform: Transform): string {
  switch (transform.kind) {
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
      return 'time'
    default:
      return transformToString(transform)
  }
}

/**
 * Gives every field of a spec being added to a table its id. A field that has one keeps it. In
 * v2 and later, a field equivalent to one of an earlier spec (same source column and transform)
 * reuses that field's id, as the spec requires, and other fields are numbered after
 * `lastPartitionId`; v1 numbers fields 1000, 1001, … by position, as its readers expect.
 */
export function assignPartitionFieldIds(
  spec: UnboundPartitionSpec,
  existing: readonly PartitionSpec[],
  lastPartitionId: number,
  formatVersion: number,
): PartitionField[] {
  if (formatVersion <= 1) return [...bindSequentialIds(0, spec.fields).fields]
  const previous = new Map<string, number>()
  for (const s of existing) {
    for (const f of s.fields) previous.set(`${f.sourceId}:${transformToString(f.transform)}`, f.fieldId)
  }
  let next = lastPartitionId
  return spec.fields.map((f) => ({
    sourceId: f.sourceId,
    fieldId: f.fieldId ?? previous.get(`${f.sourceId}:${transformToString(f.transform)}`) ?? ++next,
    name: f.name,
    transform: f.transform,
  }))
}
