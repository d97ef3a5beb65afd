import { ValidationError } from '@lake/errors'
import { Schema } from '../spec/schema.js'
import {
  type DecimalType,
  type IcebergType,
  isPrimitive,
  type NestedField,
  type PrimitiveType,
  typeToString,
} from '../spec/types.js'

/** Options of {@link SchemaUpdate.addColumn}. */
export interface AddColumnOptions {
  doc?: string
}

/** Options of {@link SchemaUpdate.updateColumn}. */
export interface UpdateColumnOptions {
  /** A wider type: int → long, float → double, decimal(P, S) → decimal(P', S) with P' > P. */
  type?: PrimitiveType
  doc?: string
}

type Move = { kind: 'first' } | { kind: 'before' | 'after'; otherId: number }

/**
 * Schema evolution, the rules of the spec's "Schema Evolution" section: every change keeps old
 * data files readable under the new schema, because columns are matched by field id.
 *
 * Adding a column gives it (and anything nested in it) fresh ids after the table's last column
 * id; it is always optional, since old files have no value for it. Renames and moves change no
 * id; deletes retire the id for good. An incompatible change (a required column, a narrowing or
 * cross-type change, making a column required) is refused with a `ValidationError` naming the
 * field.
 *
 * Pure: `apply()` returns the new schema and last column id; the table's transaction commits it.
 *
 * @example
 * ```ts
 * await table.updateSchema()
 *   .addColumn('device.os', Types.string)
 *   .renameColumn('ts', 'event_time')
 *   .updateColumn('count', { type: Types.long })
 *   .commit()
 * ```
 */
export class SchemaUpdate {
  readonly #schema: Schema
  readonly #caseSensitive: boolean
  #lastColumnId: number
  readonly #adds = new Map<number, NestedField[]>() // parent id (-1 = root) → new fields
  readonly #updates = new Map<number, NestedField>()
  readonly #deletes = new Set<number>()
  readonly #moves = new Map<number, Move[]>() // parent id → moves
  readonly #addedNames = new Map<string, number>()

  constructor(schema: Schema, lastColumnId: number, options: { caseSensitive?: boolean } = {}) {
    this.#schema = schema
    this.#lastColumnId = lastColumnId
    this.#caseSensitive = options.caseSensitive ?? true
  }

  /**
   * Adds an optional column. `path` is `'name'` for a top-level column or `'parent.name'`
   * (or `['parent', 'name']`) inside a struct; the ids inside `type` are reassigned.
   */
  addColumn(path: string | readonly string[], type: IcebergType, options: AddColumnOptions = {}): this {
    const parts = typeof path === 'string' ? path.split('.') : [...path]
    const name = parts.pop()
    const fullName = [...parts, name].join('.')
    if (!name) throw new ValidationError('A new column needs a name', { context: { field: fullName } })
    let parentId = -1
    if (parts.length > 0) {
      const parent = this.#find(parts.join('.'))
      let parentType = parent.type
      let containerId = parent.id
      if (parentType.kind === 'list') {
        containerId = parentType.elementId
        parentType = parentType.element
      } else if (parentType.kind === 'map') {
        containerId = parentType.valueId
        parentType = parentType.value
      }
      if (parentType.kind !== 'struct') {
        throw new ValidationError(`Cannot add column '${fullName}': '${parts.join('.')}' is not a struct`, {
          context: { field: fullName },
        })
      }
      if (this.#deletes.has(parent.id)) {
        throw new ValidationError(`Cannot add column '${fullName}' to a deleted column`, {
          context: { field: fullName },
        })
      }
      parentId = containerId
    }
    const existing = this.#schema.findFieldByName(fullName, this.#caseSensitive)
    if ((existing && !this.#deletes.has(existing.id)) || this.#addedNames.has(this.#key(fullName))) {
      throw new ValidationError(`Cannot add column '${fullName}': it already exists`, {
        context: { field: fullName },
      })
    }
    const id = this.#nextId()
    const field: NestedField = {
      id,
      name,
      required: false,
      type: this.#assignIds(type),
      ...(options.doc === undefined ? {} : { doc: options.doc }),
    }
    const list = this.#adds.get(parentId) ?? []
    list.push(field)
    this.#adds.set(parentId, list)
    this.#addedNames.set(this.#key(fullName), id)
    return this
  }

  /** Renames a column; its id, and so its data, stay. */
  renameColumn(path: string, newName: string): this {
    const field = this.#find(path)
    if (!newName || newName.includes('.')) {
      throw new ValidationError(`Invalid new name ${JSON.stringify(newName)} for '${path}'`, {
        context: { field: path },
      })
    }
    this.#checkNotDeleted(field, path)
    const parentPrefix = path.includes('.') ? `${path.slice(0, path.lastIndexOf('.'))}.` : ''
    const clash = this.#schema.findFieldByName(parentPrefix + newName, this.#caseSensitive)
    if (clash && clash.id !== field.id && !this.#deletes.has(clash.id)) {
      throw new ValidationError(`Cannot rename '${path}' to '${newName}': the name is taken`, {
        context: { field: path },
      })
    }
    this.#update(field, { name: newName })
    return this
  }

  /** Deletes a column; its id is never reused. */
  deleteColumn(path: string): this {
    const field = this.#find(path)
    if (this.#adds.has(field.id)) {
      throw new ValidationError(`Cannot delete '${path}': columns are being added to it`, {
        context: { field: path },
      })
    }
    if (this.#updates.has(field.id)) {
      throw new ValidationError(`Cannot delete '${path}': it is also being updated`, {
        context: { field: path },
      })
    }
    if (this.#schema.identifierFieldIds.includes(field.id)) {
      throw new ValidationError(`Cannot delete identifier field '${path}'`, { context: { field: path } })
    }
    this.#deletes.add(field.id)
    return this
  }

  /** Widens a column's type or changes its doc. Anything but a spec-allowed promotion is refused. */
  updateColumn(path: string, options: UpdateColumnOptions): this {
    const field = this.#find(path)
    this.#checkNotDeleted(field, path)
    const current = this.#updates.get(field.id) ?? field
    let type = current.type
    if (options.type) {
      if (!isPrimitive(current.type)) {
        throw new ValidationError(`Cannot change the type of nested column '${path}'`, {
          context: { field: path },
        })
      }
      if (!canPromote(current.type, options.type)) {
        throw new ValidationError(
          `Cannot change '${path}' from ${typeToString(current.type)} to ${typeToString(options.type)}: not a safe widening`,
          { context: { field: path } },
        )
      }
      type = options.type
    }
    this.#update(field, { type, ...(options.doc === undefined ? {} : { doc: options.doc }) })
    return this
  }

  /** Makes a required column optional (the reverse is refused: old files may hold nulls). */
  makeOptional(path: string): this {
    const field = this.#find(path)
    this.#checkNotDeleted(field, path)
    if (this.#schema.identifierFieldIds.includes(field.id)) {
      throw new ValidationError(`Identifier field '${path}' must stay required`, { context: { field: path } })
    }
    this.#update(field, { required: false })
    return this
  }

  /** Moves a column to the first position of its struct. */
  moveFirst(path: string): this {
    return this.#move(path, { kind: 'first' })
  }

  /** Moves a column just before another column of the same struct. */
  moveBefore(path: string, beforePath: string): this {
    return this.#move(path, { kind: 'before', otherId: this.#findIncludingAdded(beforePath) })
  }

  /** Moves a column just after another column of the same struct. */
  moveAfter(path: string, afterPath: string): this {
    return this.#move(path, { kind: 'after', otherId: this.#findIncludingAdded(afterPath) })
  }

  /** The evolved schema (with the next schema id) and the table's new last column id. */
  apply(): { schema: Schema; lastColumnId: number } {
    const fields = this.#applyFields(this.#schema.fields, -1)
    const schema = new Schema(fields, this.#schema.schemaId + 1, this.#schema.identifierFieldIds)
    return { schema, lastColumnId: this.#lastColumnId }
  }

  #applyFields(fields: readonly NestedField[], parentId: number): NestedField[] {
    const out: NestedField[] = []
    for (const field of fields) {
      if (this.#deletes.has(field.id)) continue
      const updated = this.#updates.get(field.id) ?? field
      out.push({ ...updated, type: this.#applyType(updated.type, field.id) })
    }
    out.push(...(this.#adds.get(parentId) ?? []))
    return this.#applyMoves(out, parentId)
  }

  #applyType(type: IcebergType, fieldId: number): IcebergType {
    switch (type.kind) {
      case 'struct':
        return { kind: 'struct', fields: this.#applyFields(type.fields, fieldId) }
      case 'list': {
        const element = this.#updates.get(type.elementId)
        const elementType = this.#applyType(element?.type ?? type.element, type.elementId)
        return {
          ...type,
          element: elementType,
          elementRequired: element ? element.required : type.elementRequired,
        }
      }
      case 'map': {
        const value = this.#updates.get(type.valueId)
        return {
          ...type,
          key: this.#applyType(type.key, type.keyId),
          value: this.#applyType(value?.type ?? type.value, type.valueId),
          valueRequired: value ? value.required : type.valueRequired,
        }
      }
      default:
        return type
    }
  }

  #applyMoves(fields: NestedField[], parentId: number): NestedField[] {
    const moves = this.#moves.get(parentId)
    if (!moves) return fields
    const result = [...fields]
    for (const move of moves as (Move & { fieldId: number })[]) {
      const index = result.findIndex((f) => f.id === move.fieldId)
      const [field] = result.splice(index, 1)
      if (move.kind === 'first') {
        result.unshift(field!)
      } else {
        const otherIndex = result.findIndex((f) => f.id === move.otherId)
        result.splice(move.kind === 'before' ? otherIndex : otherIndex + 1, 0, field!)
      }
    }
    return result
  }

  #move(path: string, move: Move): this {
    const fieldId = this.#findIncludingAdded(path)
    if (move.kind !== 'first' && move.otherId === fieldId) {
      throw new ValidationError(`Cannot move '${path}' relative to itself`, { context: { field: path } })
    }
    const parentId = this.#parentOf(fieldId)
    if (move.kind !== 'first' && this.#parentOf(move.otherId) !== parentId) {
      throw new ValidationError(`Cannot move '${path}' out of its struct`, { context: { field: path } })
    }
    const moves = this.#moves.get(parentId) ?? []
    moves.push({ ...move, fieldId } as Move & { fieldId: number })
    this.#moves.set(parentId, moves)
    return this
  }

  #parentOf(fieldId: number): number {
    for (const [parentId, added] of this.#adds) if (added.some((f) => f.id === fieldId)) return parentId
    const parent = this.#schema.parentId(fieldId)
    if (parent === undefined) return -1
    const parentField = this.#schema.findField(parent)!
    if (parentField.type.kind === 'list') return parentField.type.elementId
    if (parentField.type.kind === 'map') return parentField.type.valueId
    return parent
  }

  #findIncludingAdded(path: string): number {
    return this.#addedNames.get(this.#key(path)) ?? this.#find(path).id
  }

  #find(path: string): NestedField {
    const field = this.#schema.findFieldByName(path, this.#caseSensitive)
    if (!field) throw new ValidationError(`Column '${path}' does not exist`, { context: { field: path } })
    return field
  }

  #checkNotDeleted(field: NestedField, path: string): void {
    if (this.#deletes.has(field.id)) {
      throw new ValidationError(`Column '${path}' is being deleted`, { context: { field: path } })
    }
  }

  #update(field: NestedField, change: Partial<NestedField>): void {
    const current = this.#updates.get(field.id) ?? field
    this.#updates.set(field.id, { ...current, ...change })
  }

  #key(name: string): string {
    return this.#caseSensitive ? name : name.toLowerCase()
  }

  #nextId(): number {
    this.#lastColumnId += 1
    return this.#lastColumnId
  }

  #assignIds(type: IcebergType): IcebergType {
    switch (type.kind) {
      case 'struct':
        return {
          kind: 'struct',
          fields: type.fields.map((f) => {
            const id = this.#nextId()
            return { ...f, id, required: f.required, type: this.#assignIds(f.type) }
          }),
        }
      case 'list': {
        const elementId = this.#nextId()
        return { ...type, elementId, element: this.#assignIds(type.element) }
      }
      case 'map': {
        const keyId = this.#nextId()
        const valueId = this.#nextId()
        return { ...type, keyId, valueId, key: this.#assignIds(type.key), value: this.#assignIds(type.value) }
      }
      default:
        return type
    }
  }
}

/** The spec's allowed type promotions: int → long, float → double, decimal precision widening. */
export function canPromote(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from.kind === to.kind) {
    if (from.kind === 'decimal') {
      const target = to as DecimalType
      return target.scale === from.scale && target.precision >= from.precision
    }
    if (from.kind === 'fixed') return to.kind === 'fixed' && from.length === to.length
    return true
  }
  return (from.kind === 'int' && to.kind === 'long') || (from.kind === 'float' && to.kind === 'double')
}
