/**
 * Column projection: which Parquet columns of a data file hold which fields of the projected
 * Iceberg schema. Matching is by field id, never by name (the spec's "Column Projection"), so a
 * renamed column still reads; fields the file does not have read as nulls or their
 * `initial-default`; files without ids are matched through a name mapping.
 *
 * The result is a tree of {@link ReaderNode}s with the definition and repetition levels that
 * turn the file's Dremel levels into Arrow validity bitmaps and offsets.
 *
 * @module
 */
import { CorruptFileError } from '@lake/errors'
import type { SchemaTree } from 'hyparquet'
import type { Schema } from '../spec/schema.js'
import {
  type IcebergType,
  type ListType,
  type MapType,
  type NestedField,
  type PrimitiveType,
  type StructType,
  typeToString,
} from '../spec/types.js'
import { findMappedField, type NameMapping } from './name-mapping.js'

/** How the values of a Parquet column become the values of an Iceberg primitive. */
export type Conversion =
  | 'boolean'
  | 'int32'
  | 'int32ToInt64'
  | 'int64'
  | 'float'
  | 'floatToDouble'
  | 'double'
  | 'decimalFromInt32'
  | 'decimalFromInt64'
  | 'decimalFromBytes'
  | 'timeFromMillis'
  | 'timestampFromMillis'
  | 'timestampFromNanos'
  | 'timestampFromInt96'
  | 'bytes'
  | 'fixedBytes'

/** Where a node's slots are: entries with repetition level ≤ `rep` and definition level ≥ `def`. */
interface Slots {
  readonly def: number
  readonly rep: number
}

/** A primitive field read from one Parquet column. */
export interface PrimitiveNode {
  readonly kind: 'primitive'
  readonly type: PrimitiveType
  /** Index into {@link Projection.columns}. */
  readonly column: number
  readonly slotDef: number
  /** Definition level at which the value is present. */
  readonly validDef: number
  readonly conversion: Conversion
  readonly name: string
}

/** A struct present in the file. */
export interface StructNode {
  readonly kind: 'struct'
  readonly type: StructType
  readonly children: readonly ReaderNode[]
  readonly slotDef: number
  readonly slotRep: number
  readonly validDef: number
  /** The column whose levels give the struct's validity. */
  readonly levels: number
}

/** A list, or a map (whose entries are a struct of key and value), present in the file. */
export interface ListNode {
  readonly kind: 'list' | 'map'
  readonly type: ListType | MapType
  /** The element; for a map, the key and the value. */
  readonly children: readonly ReaderNode[]
  readonly slotDef: number
  readonly slotRep: number
  readonly validDef: number
  /** Definition level at which a list has an element (the repeated node's level). */
  readonly elementDef: number
  /** Repetition level of the repeated node. */
  readonly elementRep: number
  readonly levels: number
}

/** A field the file does not have. */
export interface AbsentNode {
  readonly kind: 'absent'
  readonly type: IcebergType
  readonly initialDefault: unknown
  readonly name: string
}

/** One field of the projection, bound to the file. */
export type ReaderNode = PrimitiveNode | StructNode | ListNode | AbsentNode

/** A Parquet leaf column the read needs. */
export interface ProjectedColumn {
  /** `path_in_schema`, dot-joined. */
  readonly path: string
  /** Schema nodes from the root to the leaf, as hyparquet's decoders take them. */
  readonly schemaPath: SchemaTree[]
}

/** The projected schema bound to one file. */
export interface Projection {
  readonly fields: readonly ReaderNode[]
  readonly columns: readonly ProjectedColumn[]
}

interface Levels {
  readonly def: number
  readonly rep: number
}

/**
 * Binds the projected schema to a file's Parquet schema. `mapping` is used only when the file
 * has no field ids at all; without either, the read fails naming the file.
 */
export function projectSchema(
  projected: Schema,
  root: SchemaTree,
  path: string,
  mapping?: NameMapping,
): Projection {
  return new Binder(root, path, mapping).bind(projected.fields)
}

class Binder {
  readonly #path: string
  readonly #ids = new Map<SchemaTree, number>()
  readonly #levels = new Map<SchemaTree, Levels>()
  readonly #columns: ProjectedColumn[] = []
  readonly #columnIndex = new Map<string, number>()
  readonly #root: SchemaTree
  readonly #hasIds: boolean
  readonly #mapping: NameMapping | undefined

  constructor(root: SchemaTree, path: string, mapping: NameMapping | undefined) {
    this.#root = root
    this.#path = path
    this.#mapping = mapping
    this.#indexLevels(root, 0, 0)
    this.#hasIds = [...this.#levels.keys()].some((n) => n !== root && n.element.field_id !== undefined)
    if (this.#hasIds) {
      for (const node of this.#levels.keys()) {
        if (node !== root && node.element.field_id !== undefined) this.#ids.set(node, node.element.field_id)
      }
    } else if (mapping) {
      this.#applyMapping(root, mapping)
    }
  }

  bind(fields: readonly NestedField[]): Projection {
    if (fields.length > 0 && !this.#hasIds && !this.#mapping) {
      throw new CorruptFileError(
        `Parquet file ${this.#path} has no field ids; set the table property 'schema.name-mapping.default' to read it`,
        { context: { file: this.#path } },
      )
    }
    const bound = this.#bindFields(fields, this.#root, { def: 0, rep: 0 }, '')
    return { fields: bound, columns: this.#columns }
  }

  #bindFields(fields: readonly NestedField[], group: SchemaTree, slots: Slots, prefix: string): ReaderNode[] {
    return fields.map((field) => {
      const name = prefix + field.name
      const node = group.children.find((child) => this.#ids.get(child) === field.id)
      if (!node) return this.#absent(field, name)
      return this.#bindType(field.type, node, slots, name, false)
    })
  }

  #absent(field: NestedField, name: string): AbsentNode {
    if (field.required && field.initialDefault === undefined) {
      throw new CorruptFileError(
        `Parquet file ${this.#path} has no column for required field '${name}' (id ${field.id}), which has no initial default`,
        { context: { file: this.#path, field: name } },
      )
    }
    return { kind: 'absent', type: field.type, initialDefault: field.initialDefault, name }
  }

  #bindType(type: IcebergType, node: SchemaTree, slots: Slots, name: string, asElement: boolean): ReaderNode {
    const repeated = node.element.repetition_type === 'REPEATED' && !asElement
    if (type.kind === 'list' && (repeated || isAnnotated(node, 'LIST')))
      return this.#bindList(type, node, slots, name)
    if (type.kind === 'map' && isAnnotated(node, 'MAP')) return this.#bindMap(type, node, slots, name)
    if (repeated) throw this.#mismatch(name, type, 'a repeated field')
    if (type.kind === 'struct') {
      if (!node.children.length || isAnnotated(node, 'LIST') || isAnnotated(node, 'MAP')) {
        throw this.#mismatch(name, type, describe(node))
      }
      const children = this.#bindFields(type.fields, node, slots, `${name}.`)
      return {
        kind: 'struct',
        type,
        children,
        slotDef: slots.def,
        slotRep: slots.rep,
        validDef: this.#level(node).def,
        levels: this.#levelsColumn(children, node),
      }
    }
    if (type.kind === 'list' || type.kind === 'map' || node.children.length) {
      throw this.#mismatch(name, type, describe(node))
    }
    return {
      kind: 'primitive',
      type,
      column: this.#column(node),
      slotDef: slots.def,
      validDef: this.#level(node).def,
      conversion: this.#conversion(type, node, name),
      name,
    }
  }

  #bindList(type: ListType, node: SchemaTree, slots: Slots, name: string): ListNode {
    const { repeated, element } = listParts(node)
    if (!repeated) throw this.#mismatch(name, type, describe(node))
    const group = node === repeated ? undefined : node
    const repeatedLevels = this.#level(repeated)
    const elementSlots = { def: repeatedLevels.def, rep: repeatedLevels.rep }
    const child = this.#bindType(type.element, element, elementSlots, `${name}.element`, element === repeated)
    return {
      kind: 'list',
      type,
      children: [child],
      slotDef: slots.def,
      slotRep: slots.rep,
      validDef: group ? this.#level(group).def : slots.def,
      elementDef: repeatedLevels.def,
      elementRep: repeatedLevels.rep,
      levels: this.#levelsColumn([child], node),
    }
  }

  #bindMap(type: MapType, node: SchemaTree, slots: Slots, name: string): ListNode {
    const parts = mapParts(node)
    if (!parts) throw this.#mismatch(name, type, describe(node))
    const repeatedLevels = this.#level(parts.repeated)
    const entrySlots = { def: repeatedLevels.def, rep: repeatedLevels.rep }
    const key = this.#bindType(type.key, parts.key, entrySlots, `${name}.key`, false)
    const value = parts.value
      ? this.#bindType(type.value, parts.value, entrySlots, `${name}.value`, false)
      : this.#absent({ id: type.valueId, name: 'value', required: false, type: type.value }, `${name}.value`)
    return {
      kind: 'map',
      type,
      children: [key, value],
      slotDef: slots.def,
      slotRep: slots.rep,
      validDef: this.#level(node).def,
      elementDef: repeatedLevels.def,
      elementRep: repeatedLevels.rep,
      levels: this.#levelsColumn([key, value], node),
    }
  }

  /** A column under `node` whose levels describe `node`: one already read, else its first leaf. */
  #levelsColumn(children: readonly ReaderNode[], node: SchemaTree): number {
    for (const child of children) {
      if (child.kind === 'primitive') return child.column
      if (child.kind !== 'absent') return child.levels
    }
    let leaf = node
    while (leaf.children.length) leaf = leaf.children[0]!
    return this.#column(leaf)
  }

  #column(leaf: SchemaTree): number {
    const path = leaf.path.join('.')
    const known = this.#columnIndex.get(path)
    if (known !== undefined) return known
    const schemaPath = [this.#root]
    let node = this.#root
    for (const part of leaf.path) {
      node = node.children.find((c) => c.element.name === part)!
      schemaPath.push(node)
    }
    this.#columns.push({ path, schemaPath })
    this.#columnIndex.set(path, this.#columns.length - 1)
    return this.#columns.length - 1
  }

  #level(node: SchemaTree): Levels {
    return this.#levels.get(node)!
  }

  #conversion(type: PrimitiveType, node: SchemaTree, name: string): Conversion {
    const element = node.element
    const physical = element.type
    const logical = element.logical_type
    const fail = () => this.#mismatch(name, type, describe(node))
    switch (type.kind) {
      case 'boolean':
        if (physical === 'BOOLEAN') return 'boolean'
        throw fail()
      case 'int':
      case 'date':
        if (physical === 'INT32') return 'int32'
        throw fail()
      case 'long':
        if (physical === 'INT64') return 'int64'
        if (physical === 'INT32') return 'int32ToInt64'
        throw fail()
      case 'float':
        if (physical === 'FLOAT') return 'float'
        throw fail()
      case 'double':
        if (physical === 'DOUBLE') return 'double'
        if (physical === 'FLOAT') return 'floatToDouble'
        throw fail()
      case 'decimal': {
        const scale = logical?.type === 'DECIMAL' ? logical.scale : (element.scale ?? 0)
        const precision = logical?.type === 'DECIMAL' ? logical.precision : element.precision
        if (scale !== type.scale || (precision !== undefined && precision > type.precision)) throw fail()
        if (physical === 'INT32') return 'decimalFromInt32'
        if (physical === 'INT64') return 'decimalFromInt64'
        if (physical === 'FIXED_LEN_BYTE_ARRAY' || physical === 'BYTE_ARRAY') return 'decimalFromBytes'
        throw fail()
      }
      case 'time':
        if (physical === 'INT64') return 'int64'
        if (physical === 'INT32') return 'timeFromMillis'
        throw fail()
      case 'timestamp':
      case 'timestamptz': {
        if (physical === 'INT96') return 'timestampFromInt96'
        if (physical !== 'INT64') throw fail()
        const unit =
          logical?.type === 'TIMESTAMP'
            ? logical.unit
            : element.converted_type === 'TIMESTAMP_MILLIS'
              ? 'MILLIS'
              : 'MICROS'
        if (unit === 'MILLIS') return 'timestampFromMillis'
        if (unit === 'NANOS') return 'timestampFromNanos'
        return 'int64'
      }
      case 'string':
      case 'binary':
        if (physical === 'BYTE_ARRAY' || physical === 'FIXED_LEN_BYTE_ARRAY') return 'bytes'
        throw fail()
      case 'uuid':
      case 'fixed': {
        const length = type.kind === 'fixed' ? type.length : 16
        if (physical === 'FIXED_LEN_BYTE_ARRAY' && element.type_length === length) return 'fixedBytes'
        throw fail()
      }
    }
  }

  #mismatch(name: string, type: IcebergType, found: string): CorruptFileError {
    return new CorruptFileError(
      `Column '${name}' of ${this.#path} is ${found}, which cannot be read as ${typeToString(type)}`,
      { context: { file: this.#path, field: name } },
    )
  }

  #indexLevels(node: SchemaTree, def: number, rep: number): void {
    this.#levels.set(node, { def, rep })
    for (const child of node.children) {
      const repetition = child.element.repetition_type
      this.#indexLevels(
        child,
        repetition === 'REQUIRED' ? def : def + 1,
        repetition === 'REPEATED' ? rep + 1 : rep,
      )
    }
  }

  #applyMapping(group: SchemaTree, mapping: NameMapping | undefined): void {
    for (const child of group.children) {
      const mapped = findMappedField(mapping, child.element.name)
      if (mapped?.fieldId !== undefined) this.#ids.set(child, mapped.fieldId)
      this.#applyNested(child, mapped?.fields)
    }
  }

  #applyNested(node: SchemaTree, mapping: NameMapping | undefined): void {
    if (!node.children.length) return
    if (isAnnotated(node, 'LIST')) {
      const { element } = listParts(node)
      if (!element) return
      const mapped = findMappedField(mapping, 'element')
      if (mapped?.fieldId !== undefined) this.#ids.set(element, mapped.fieldId)
      if (element.children.length) this.#applyNested(element, mapped?.fields)
      return
    }
    const map = isAnnotated(node, 'MAP') ? mapParts(node) : undefined
    if (map) {
      for (const [part, child] of [
        ['key', map.key],
        ['value', map.value],
      ] as const) {
        if (!child) continue
        const mapped = findMappedField(mapping, part)
        if (mapped?.fieldId !== undefined) this.#ids.set(child, mapped.fieldId)
        this.#applyNested(child, mapped?.fields)
      }
      return
    }
    this.#applyMapping(node, mapping)
  }
}

function isAnnotated(node: SchemaTree, kind: 'LIST' | 'MAP'): boolean {
  const { converted_type: converted, logical_type: logical } = node.element
  if (kind === 'MAP') return converted === 'MAP' || converted === 'MAP_KEY_VALUE' || logical?.type === 'MAP'
  return converted === 'LIST' || logical?.type === 'LIST'
}

/**
 * The repeated node and the element node of a list, by the Parquet format's backward-compatibility
 * rules for two- and three-level lists. A bare repeated field is its own list and element.
 */
function listParts(node: SchemaTree): { repeated?: SchemaTree; element: SchemaTree } {
  if (node.element.repetition_type === 'REPEATED') return { repeated: node, element: node }
  const repeated = node.children.length === 1 ? node.children[0] : undefined
  if (repeated?.element.repetition_type !== 'REPEATED') return { element: node }
  const name = repeated.element.name
  if (repeated.children.length !== 1 || name === 'array' || name === `${node.element.name}_tuple`) {
    return { repeated, element: repeated }
  }
  return { repeated, element: repeated.children[0]! }
}

function mapParts(
  node: SchemaTree,
): { repeated: SchemaTree; key: SchemaTree; value?: SchemaTree } | undefined {
  const repeated = node.children.length === 1 ? node.children[0] : undefined
  if (repeated?.element.repetition_type !== 'REPEATED') return undefined
  const [key, value] = repeated.children
  if (!key) return undefined
  return value ? { repeated, key, value } : { repeated, key }
}

function describe(node: SchemaTree): string {
  const element = node.element
  if (node.children.length) {
    if (isAnnotated(node, 'LIST')) return 'a list'
    if (isAnnotated(node, 'MAP')) return 'a map'
    return 'a group'
  }
  const annotation = element.logical_type?.type ?? element.converted_type
  return `${element.type}${element.type === 'FIXED_LEN_BYTE_ARRAY' ? `(${element.type_length})` : ''}${annotation ? ` (${annotation})` : ''}`
}
