import { ValidationError } from '@lake/errors'
import { globalRegistry, type z } from 'zod'
import { parsePrimitiveType, Schema } from './schema.js'
import { type IcebergType, type NestedField, type PrimitiveType, Types } from './types.js'

/**
 * A column definition that carries its value type for inference. Build with {@link col};
 * columns are optional unless `.required()` is called, as in SQL.
 */
export interface ColumnDef<TValue, TRequired extends boolean = false> {
  readonly type: TypeDef
  readonly isRequired: TRequired
  readonly doc?: string
  /** The same column, required: rows must have a non-null value. */
  required(): ColumnDef<TValue, true>
  /** The same column with a doc string, kept in the table's schema. */
  describe(doc: string): ColumnDef<TValue, TRequired>
}

/** A type description before field ids are assigned. */
export type TypeDef =
  | { readonly kind: 'primitive'; readonly type: PrimitiveType }
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, ColumnDef<unknown, boolean>>> }
  | { readonly kind: 'list'; readonly element: ColumnDef<unknown, boolean> }
  | {
      readonly kind: 'map'
      readonly key: ColumnDef<unknown, boolean>
      readonly value: ColumnDef<unknown, boolean>
    }

function column<TValue>(type: TypeDef, isRequired = false, doc?: string): ColumnDef<TValue, boolean> {
  return {
    type,
    isRequired,
    ...(doc === undefined ? {} : { doc }),
    required: () => column<TValue>(type, true, doc) as ColumnDef<TValue, true>,
    describe: (text: string) => column<TValue>(type, isRequired, text),
  } as ColumnDef<TValue, boolean>
}

const primitive = <TValue>(type: PrimitiveType) =>
  column<TValue>({ kind: 'primitive', type }) as ColumnDef<TValue>

/** Values accepted for timestamp columns: a Date, an ISO-8601 string, or microseconds since the epoch. */
export type TimestampInput = Date | string | bigint
/** Values accepted for decimal columns: a decimal string (`'12.34'`), a number, or a whole-number bigint (`12n` is 12.00). */
export type DecimalInput = string | number | bigint

/**
 * Column constructors for {@link defineSchema}. Each carries the TypeScript type of the values
 * rows may hold, so the row type of a table is inferred from its definition.
 */
export const col = {
  boolean: () => primitive<boolean>(Types.boolean),
  int: () => primitive<number>(Types.int),
  long: () => primitive<bigint | number>(Types.long),
  float: () => primitive<number>(Types.float),
  double: () => primitive<number>(Types.double),
  decimal: (precision: number, scale: number) => primitive<DecimalInput>(Types.decimal(precision, scale)),
  /** Days since the epoch, a `YYYY-MM-DD` string or a Date. */
  date: () => primitive<Date | string | number>(Types.date),
  /** Microseconds since midnight or an `HH:MM:SS[.ffffff]` string. */
  time: () => primitive<bigint | string>(Types.time),
  timestamp: () => primitive<TimestampInput>(Types.timestamp),
  timestamptz: () => primitive<TimestampInput>(Types.timestamptz),
  string: () => primitive<string>(Types.string),
  uuid: () => primitive<string>(Types.uuid),
  fixed: (length: number) => primitive<Uint8Array>(Types.fixed(length)),
  binary: () => primitive<Uint8Array>(Types.binary),
  struct: <F extends Record<string, ColumnDef<unknown, boolean>>>(fields: F) =>
    column<RowOf<F>>({ kind: 'struct', fields }) as ColumnDef<RowOf<F>>,
  list: <E extends ColumnDef<unknown, boolean>>(element: E) =>
    column<ValueOf<E>[]>({ kind: 'list', element }) as ColumnDef<ValueOf<E>[]>,
  map: <K extends ColumnDef<unknown, boolean>, V extends ColumnDef<unknown, boolean>>(key: K, value: V) =>
    column<Map<ValueOf<K>, ValueOf<V>>>({ kind: 'map', key, value }) as ColumnDef<
      Map<ValueOf<K>, ValueOf<V>>
    >,
} as const

type ValueOf<C> = C extends ColumnDef<infer V, infer R> ? (R extends true ? V : V | null) : never

type RequiredKeys<F> = { [K in keyof F]: F[K] extends ColumnDef<unknown, true> ? K : never }[keyof F]
type OptionalKeys<F> = Exclude<keyof F, RequiredKeys<F>>

/** The row type of a set of column definitions: required columns are required keys. */
export type RowOf<F> = { [K in RequiredKeys<F>]: ValueOf<F[K]> } & { [K in OptionalKeys<F>]?: ValueOf<F[K]> }

/** A schema together with the TypeScript type of its rows. */
export interface TypedSchema<TRow> {
  readonly schema: Schema
  /** Phantom member that carries the row type; never set at run time. */
  readonly __row?: TRow
}

/** The row type of a {@link TypedSchema}. */
export type InferRow<T> = T extends TypedSchema<infer R> ? R : never

/**
 * Defines a table schema in TypeScript and infers its row type. Field ids are assigned depth
 * first from 1 (a new table re-assigns them anyway, as Iceberg Java does).
 *
 * @example
 * ```ts
 * const events = defineSchema({
 *   id: col.long().required(),
 *   ts: col.timestamptz().required(),
 *   kind: col.string(),
 *   device: col.struct({ os: col.string(), version: col.int() }),
 * }, { identifierFields: ['id'] })
 * type Event = InferRow<typeof events> // { id: bigint | number; ts: TimestampInput; kind?: string | null; … }
 * ```
 */
export function defineSchema<F extends Record<string, ColumnDef<unknown, boolean>>>(
  fields: F,
  options: { identifierFields?: readonly (keyof F & string)[] } = {},
): TypedSchema<RowOf<F>> {
  const ids = { next: 1 }
  const nested = structFields(fields, ids)
  const identifierFieldIds = (options.identifierFields ?? []).map((name) => {
    const field = nested.find((f) => f.name === name)
    if (!field)
      throw new ValidationError(`Identifier field '${name}' is not a column`, { context: { field: name } })
    return field.id
  })
  return { schema: new Schema(nested, 0, identifierFieldIds) }
}

function structFields(
  fields: Record<string, ColumnDef<unknown, boolean>>,
  ids: { next: number },
): NestedField[] {
  // Ids of a struct's own fields come first, then those nested inside them, as Java assigns.
  const entries = Object.entries(fields).map(([name, def]) => ({ name, def, id: ids.next++ }))
  return entries.map(({ name, def, id }) => ({
    id,
    name,
    required: def.isRequired,
    type: toType(def.type, ids),
    ...(def.doc === undefined ? {} : { doc: def.doc }),
  }))
}

function toType(def: TypeDef, ids: { next: number }): IcebergType {
  switch (def.kind) {
    case 'primitive':
      return def.type
    case 'struct':
      return Types.struct(structFields(def.fields, ids))
    case 'list': {
      const elementId = ids.next++
      return Types.list(elementId, toType(def.element.type, ids), def.element.isRequired)
    }
    case 'map': {
      const keyId = ids.next++
      const valueId = ids.next++
      return Types.map(
        keyId,
        toType(def.key.type, ids),
        valueId,
        toType(def.value.type, ids),
        def.value.isRequired,
      )
    }
  }
}

// ---------------------------------------------------------------------------------------------
// zod

/** A zod schema's internals, as far as the conversion reads them. */
interface ZodInternals {
  _zod: {
    def: { type: string; format?: string; checks?: { _zod: { def: { format?: string } } }[] } & Record<
      string,
      unknown
    >
  }
}

/**
 * Converts a zod object schema (zod 4) into an Iceberg schema, so a team that already
 * validates its events with zod defines the table once.
 *
 * Mapping: `z.string()` → string (`z.uuid()` → uuid, `z.iso.datetime({ offset: true })` →
 * timestamptz, `z.iso.datetime({ local: true })` → timestamp, `z.iso.date()` → date),
 * `z.int()`/`z.number().int()` → long, `z.int32()` → int, `z.number()` → double,
 * `z.bigint()` → long, `z.boolean()`, `z.date()` → timestamptz, `z.enum()` → string,
 * `z.array()` → list, `z.object()` → struct, `z.record(z.string(), …)`/`z.map()` → map,
 * `z.instanceof(Uint8Array)` is not introspectable: give it `.meta({ iceberg: 'binary' })`.
 * `.optional()`/`.nullable()` make a column optional; everything else is required. Any column
 * may name its Iceberg type explicitly with `.meta({ iceberg: 'decimal(9, 2)' })`.
 *
 * @example
 * ```ts
 * const Event = z.object({ id: z.bigint(), at: z.date(), price: z.string().meta({ iceberg: 'decimal(9, 2)' }) })
 * const { schema } = schemaFromZod(Event)
 * ```
 */
export function schemaFromZod<T extends z.ZodObject>(
  object: T,
  registry?: { get(schema: unknown): { iceberg?: unknown } | undefined },
): TypedSchema<z.input<T>> {
  const ids = { next: 1 }
  const lookup = registry ?? (globalRegistry as unknown as MetaLookup)
  const fields = zodStruct(object as unknown as ZodInternals, '', ids, lookup)
  return { schema: new Schema(fields, 0, []) }
}

type MetaLookup = { get(schema: unknown): { iceberg?: unknown } | undefined }

function zodStruct(
  object: ZodInternals,
  prefix: string,
  ids: { next: number },
  meta: MetaLookup,
): NestedField[] {
  const shape = object._zod.def.shape as Record<string, ZodInternals>
  const entries = Object.entries(shape).map(([name, schema]) => ({ name, schema, id: ids.next++ }))
  return entries.map(({ name, schema, id }) => {
    const path = prefix + name
    const { inner, optional } = unwrapOptional(schema)
    return { id, name, required: !optional, type: zodType(inner, path, ids, meta) }
  })
}

function unwrapOptional(schema: ZodInternals): { inner: ZodInternals; optional: boolean } {
  let inner = schema
  let optional = false
  for (;;) {
    const type = inner._zod.def.type
    if (type === 'optional' || type === 'nullable') {
      optional = true
      inner = inner._zod.def.innerType as ZodInternals
    } else if (type === 'default' || type === 'prefault' || type === 'readonly' || type === 'catch') {
      inner = inner._zod.def.innerType as ZodInternals
    } else if (type === 'pipe') {
      inner = inner._zod.def.in as ZodInternals
    } else {
      return { inner, optional }
    }
  }
}

function zodType(schema: ZodInternals, path: string, ids: { next: number }, meta: MetaLookup): IcebergType {
  const explicit = meta.get(schema)?.iceberg
  if (typeof explicit === 'string') {
    const type = parsePrimitiveType(explicit)
    if (!type)
      throw new ValidationError(`Unknown Iceberg type '${explicit}' for '${path}'`, {
        context: { field: path },
      })
    return type
  }
  const def = schema._zod.def
  const format = def.format ?? def.checks?.map((c) => c._zod.def.format).find((f) => f !== undefined)
  switch (def.type) {
    case 'string':
      if (format === 'uuid' || format === 'guid') return Types.uuid
      if (format === 'datetime') return def.local === true ? Types.timestamp : Types.timestamptz
      if (format === 'date') return Types.date
      return Types.string
    case 'enum':
    case 'literal':
      return Types.string
    case 'number':
      if (format === 'int32' || format === 'uint32') return Types.int
      if (format === 'safeint') return Types.long
      if (format === 'float32') return Types.float
      return Types.double
    case 'bigint':
      return Types.long
    case 'boolean':
      return Types.boolean
    case 'date':
      return Types.timestamptz
    case 'object':
      return Types.struct(zodStruct(schema, `${path}.`, ids, meta))
    case 'array': {
      const elementId = ids.next++
      const { inner, optional } = unwrapOptional(def.element as ZodInternals)
      return Types.list(elementId, zodType(inner, `${path}.element`, ids, meta), !optional)
    }
    case 'record':
    case 'map': {
      const keyId = ids.next++
      const valueId = ids.next++
      const key = unwrapOptional(def.keyType as ZodInternals).inner
      const { inner, optional } = unwrapOptional(def.valueType as ZodInternals)
      return Types.map(
        keyId,
        zodType(key, `${path}.key`, ids, meta),
        valueId,
        zodType(inner, `${path}.value`, ids, meta),
        !optional,
      )
    }
    default:
      throw new ValidationError(
        `Cannot map zod type '${def.type}' of '${path}' to an Iceberg type; name it with .meta({ iceberg: '<type>' })`,
        { context: { field: path } },
      )
  }
}
