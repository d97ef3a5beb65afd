import { CorruptFileError } from '@lake/errors'

/**
 * Avro schemas (Avro 1.11 spec, "Schema Declaration"): the JSON form written into file headers,
 * and a resolved tree in which references to named types are replaced by the types themselves.
 *
 * Iceberg stores its field ids as extra attributes (`field-id`, `element-id`, `key-id`,
 * `value-id`) on Avro fields and arrays; every node keeps its JSON object in `attrs`, so those
 * attributes and `logicalType` survive resolution untouched.
 *
 * @module
 */

/** Avro's primitive type names. */
export type AvroPrimitiveName = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'

/** Extra attributes on a schema or field: `field-id`, `logicalType`, `doc`, … */
export type AvroAttributes = { readonly [attr: string]: unknown }

/** A primitive written as an object so it can carry a `logicalType`. */
export interface AvroPrimitiveSchema extends AvroAttributes {
  readonly type: AvroPrimitiveName
  readonly logicalType?: string
}

/** A field of an Avro record; Iceberg adds `field-id`. */
export interface AvroFieldSchema extends AvroAttributes {
  readonly name: string
  readonly type: AvroSchema
  readonly doc?: string
  readonly default?: unknown
  readonly 'field-id'?: number
}

/** An Avro record. */
export interface AvroRecordSchema extends AvroAttributes {
  readonly type: 'record'
  readonly name: string
  readonly namespace?: string
  readonly fields: readonly AvroFieldSchema[]
}

/** An Avro array; Iceberg adds `element-id`, or `logicalType: 'map'` for maps with non-string keys. */
export interface AvroArraySchema extends AvroAttributes {
  readonly type: 'array'
  readonly items: AvroSchema
}

/** An Avro map (string keys). */
export interface AvroMapSchema extends AvroAttributes {
  readonly type: 'map'
  readonly values: AvroSchema
}

/** An Avro fixed-size byte array. */
export interface AvroFixedSchema extends AvroAttributes {
  readonly type: 'fixed'
  readonly name: string
  readonly namespace?: string
  readonly size: number
}

/** An Avro enum. */
export interface AvroEnumSchema extends AvroAttributes {
  readonly type: 'enum'
  readonly name: string
  readonly namespace?: string
  readonly symbols: readonly string[]
}

/** Any Avro schema in JSON form; a bare string is a primitive or a reference to a named type. */
export type AvroSchema =
  | string
  | AvroPrimitiveSchema
  | AvroRecordSchema
  | AvroArraySchema
  | AvroMapSchema
  | AvroFixedSchema
  | AvroEnumSchema
  | readonly AvroSchema[]

/** A resolved primitive. */
export interface AvroPrimitiveNode {
  readonly type: AvroPrimitiveName
  readonly attrs: AvroAttributes
}

/** A resolved record field. */
export interface AvroFieldNode {
  readonly name: string
  readonly type: AvroNode
  readonly attrs: AvroAttributes
}

/** A resolved record. */
export interface AvroRecordNode {
  readonly type: 'record'
  readonly name: string
  readonly fields: AvroFieldNode[]
  readonly attrs: AvroAttributes
}

/** A resolved array. */
export interface AvroArrayNode {
  readonly type: 'array'
  readonly items: AvroNode
  readonly attrs: AvroAttributes
}

/** A resolved map. */
export interface AvroMapNode {
  readonly type: 'map'
  readonly values: AvroNode
  readonly attrs: AvroAttributes
}

/** A resolved fixed. */
export interface AvroFixedNode {
  readonly type: 'fixed'
  readonly name: string
  readonly size: number
  readonly attrs: AvroAttributes
}

/** A resolved enum. */
export interface AvroEnumNode {
  readonly type: 'enum'
  readonly name: string
  readonly symbols: readonly string[]
  readonly attrs: AvroAttributes
}

/** A resolved union. */
export interface AvroUnionNode {
  readonly type: 'union'
  readonly branches: readonly AvroNode[]
  readonly attrs: AvroAttributes
}

/** A schema after resolution: named references point at their types (and may form cycles). */
export type AvroNode =
  | AvroPrimitiveNode
  | AvroRecordNode
  | AvroArrayNode
  | AvroMapNode
  | AvroFixedNode
  | AvroEnumNode
  | AvroUnionNode

const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])
// Names as Iceberg Java writes them: any Unicode letter or `_`, then letters, digits or `_`.
const NAME = /^[\p{L}_][\p{L}\p{Nd}_]*$/u
const NO_ATTRS: AvroAttributes = Object.freeze({})

/**
 * Resolves a schema in JSON form (as parsed from a file header) into an {@link AvroNode} tree.
 * `file` names the file in errors: a header schema that is not valid Avro means a corrupt file.
 */
export function resolveSchema(json: unknown, file?: string): AvroNode {
  const named = new Map<string, AvroNode>()
  return resolve(json, '', named, file)
}

function resolve(json: unknown, namespace: string, named: Map<string, AvroNode>, file?: string): AvroNode {
  if (typeof json === 'string') {
    if (PRIMITIVES.has(json)) return { type: json as AvroPrimitiveName, attrs: NO_ATTRS }
    const node = named.get(fullName(json, namespace)) ?? named.get(json)
    if (!node) throw invalid(`unknown type '${json}'`, file)
    return node
  }
  if (Array.isArray(json)) {
    return { type: 'union', branches: json.map((b) => resolve(b, namespace, named, file)), attrs: NO_ATTRS }
  }
  if (typeof json !== 'object' || json === null) throw invalid(`invalid schema ${JSON.stringify(json)}`, file)
  const obj = json as Record<string, unknown>
  const type = obj.type
  if (typeof type === 'string' && PRIMITIVES.has(type)) return { type: type as AvroPrimitiveName, attrs: obj }
  switch (type) {
    case 'record':
    case 'error': {
      const name = nameOf(obj, namespace, file)
      if (!Array.isArray(obj.fields)) throw invalid(`record '${name}' has no fields`, file)
      const fields: AvroFieldNode[] = []
      const node: AvroRecordNode = { type: 'record', name, fields, attrs: obj }
      named.set(name, node)
      const inner = namespaceOf(name)
      for (const field of obj.fields as unknown[]) {
        if (typeof field !== 'object' || field === null)
          throw invalid(`record '${name}' has an invalid field`, file)
        const f = field as Record<string, unknown>
        if (typeof f.name !== 'string' || !NAME.test(f.name)) {
          throw invalid(`record '${name}' has a field with invalid name ${JSON.stringify(f.name)}`, file)
        }
        fields.push({ name: f.name, type: resolve(f.type, inner, named, file), attrs: f })
      }
      return node
    }
    case 'enum': {
      const name = nameOf(obj, namespace, file)
      const symbols = obj.symbols
      if (!Array.isArray(symbols) || !symbols.every((s) => typeof s === 'string')) {
        throw invalid(`enum '${name}' has invalid symbols`, file)
      }
      const node: AvroEnumNode = { type: 'enum', name, symbols: symbols as string[], attrs: obj }
      named.set(name, node)
      return node
    }
    case 'fixed': {
      const name = nameOf(obj, namespace, file)
      const size = obj.size
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
        throw invalid(`fixed '${name}' has invalid size ${JSON.stringify(size)}`, file)
      }
      const node: AvroFixedNode = { type: 'fixed', name, size, attrs: obj }
      named.set(name, node)
      return node
    }
    case 'array':
      return { type: 'array', items: resolve(obj.items, namespace, named, file), attrs: obj }
    case 'map':
      return { type: 'map', values: resolve(obj.values, namespace, named, file), attrs: obj }
    default:
      // `{"type": "some.Named"}` and `{"type": [...]}` are legal spellings of a reference and a union.
      if (typeof type === 'string' || Array.isArray(type)) return resolve(type, namespace, named, file)
      throw invalid(`unknown type ${JSON.stringify(type)}`, file)
  }
}

function nameOf(obj: Record<string, unknown>, namespace: string, file?: string): string {
  if (typeof obj.name !== 'string' || obj.name === '') throw invalid('a named type has no name', file)
  const ns = typeof obj.namespace === 'string' ? obj.namespace : namespace
  return fullName(obj.name, ns)
}

function fullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`
}

function namespaceOf(full: string): string {
  const dot = full.lastIndexOf('.')
  return dot < 0 ? '' : full.slice(0, dot)
}

function invalid(message: string, file?: string): CorruptFileError {
  const where = file === undefined ? '' : ` in ${file}`
  return new CorruptFileError(
    `Invalid Avro schema${where}: ${message}`,
    file === undefined ? {} : { context: { file } },
  )
}

/** The non-null branch of a `["null", T]` union, or the node itself when it is not such a union. */
export function nonNull(node: AvroNode): AvroNode {
  if (node.type !== 'union') return node
  const branches = node.branches.filter((b) => b.type !== 'null')
  return branches.length === 1 ? branches[0]! : node
}
