/**
 * Table commits as the Iceberg REST catalog spec describes them: `TableUpdate`s (what to change)
 * and `TableRequirement`s (what must still hold for the change to apply), their JSON form, and
 * how a catalog checks requirements and applies updates to produce the next metadata — with the
 * rules of Java's `TableMetadata.Builder`, so that a table committed by Lake evolves exactly as
 * one committed by Java.
 *
 * @module
 */
import { CommitConflictError, isLakeError, ValidationError } from '@lake/errors'
import {
  assignPartitionFieldIds,
  buildPartitionSpec,
  hasSequentialIds,
  lastAssignedFieldId,
  type PartitionSpec,
  partitionSpecToJson,
  specCompatible,
  type UnboundPartitionSpec,
  unboundPartitionSpecFromJson,
  validatePartitionSpec,
} from './partition-spec.js'
import { type Schema, schemaFromJson } from './schema.js'
import {
  JsonFieldReader,
  type JsonObject,
  type JsonValue,
  MAIN_BRANCH,
  type Snapshot,
  type SnapshotRef,
  snapshotFromJson,
  snapshotToJson,
  validateSnapshotRef,
} from './snapshot.js'
import {
  isUnsorted,
  type SortOrder,
  sameSortOrder,
  sortOrderFromJson,
  sortOrderToJson,
  UNSORTED_ORDER,
  UNSORTED_ORDER_ID,
  validateSortOrder,
} from './sort-order.js'
import {
  type FormatVersion,
  type SnapshotLogEntry,
  schemaToMetadataJson,
  TableMetadata,
  type TableMetadataFields,
} from './table-metadata.js'

/** In `set-current-schema`, `set-default-spec` and `set-default-sort-order`: the one added last. */
export const LAST_ADDED = -1

/**
 * One change to a table, as the REST spec's `TableUpdate` names it (keys as in its JSON; nested
 * schemas, specs, orders and snapshots as Lake's in-memory types).
 */
export type TableUpdate =
  /** Sets the table's UUID; only safe when the table is created. */
  | { readonly action: 'assign-uuid'; readonly uuid: string }
  /** Raises the format version; downgrades are refused. */
  | { readonly action: 'upgrade-format-version'; readonly 'format-version': number }
  /** Adds a schema (or finds the equal one); `last-column-id` is deprecated and only ever raises the table's. */
  | { readonly action: 'add-schema'; readonly schema: Schema; readonly 'last-column-id'?: number }
  /** Makes a schema current; -1 means the one added last in this commit. */
  | { readonly action: 'set-current-schema'; readonly 'schema-id': number }
  /** Adds a partition spec, bound to the current schema; ids are assigned by the table. */
  | { readonly action: 'add-spec'; readonly spec: UnboundPartitionSpec }
  /** Makes a spec the default; -1 means the one added last. */
  | { readonly action: 'set-default-spec'; readonly 'spec-id': number }
  /** Adds a sort order; its id is assigned by the table. */
  | { readonly action: 'add-sort-order'; readonly 'sort-order': SortOrder }
  /** Makes a sort order the default; -1 means the one added last. */
  | { readonly action: 'set-default-sort-order'; readonly 'sort-order-id': number }
  /** Adds a snapshot; a ref must then point at it for it to be reachable. */
  | { readonly action: 'add-snapshot'; readonly snapshot: Snapshot }
  /** Points a branch or tag at a snapshot; moving `main` moves the current snapshot. */
  | {
      readonly action: 'set-snapshot-ref'
      readonly 'ref-name': string
      readonly type: 'branch' | 'tag'
      readonly 'snapshot-id': bigint
      readonly 'max-ref-age-ms'?: number
      readonly 'max-snapshot-age-ms'?: number
      readonly 'min-snapshots-to-keep'?: number
    }
  /** Removes snapshots, and any ref left pointing at one of them. */
  | { readonly action: 'remove-snapshots'; readonly 'snapshot-ids': readonly bigint[] }
  /** Removes a branch or tag; removing `main` leaves the table without a current snapshot. */
  | { readonly action: 'remove-snapshot-ref'; readonly 'ref-name': string }
  | { readonly action: 'set-location'; readonly location: string }
  | { readonly action: 'set-properties'; readonly updates: Readonly<Record<string, string>> }
  | { readonly action: 'remove-properties'; readonly removals: readonly string[] }

/**
 * A condition a commit depends on, as the REST spec's `TableRequirement` names it. A catalog
 * checks them against the table's current metadata before applying the updates.
 */
export type TableRequirement =
  /** The table must not exist yet. */
  | { readonly type: 'assert-create' }
  | { readonly type: 'assert-table-uuid'; readonly uuid: string }
  /** The ref must point at `snapshot-id`; `null` means the ref must not exist. */
  | { readonly type: 'assert-ref-snapshot-id'; readonly ref: string; readonly 'snapshot-id': bigint | null }
  | { readonly type: 'assert-last-assigned-field-id'; readonly 'last-assigned-field-id': number }
  | { readonly type: 'assert-current-schema-id'; readonly 'current-schema-id': number }
  | { readonly type: 'assert-last-assigned-partition-id'; readonly 'last-assigned-partition-id': number }
  | { readonly type: 'assert-default-spec-id'; readonly 'default-spec-id': number }
  | { readonly type: 'assert-default-sort-order-id'; readonly 'default-sort-order-id': number }

// ---------------------------------------------------------------------------------------------
// Requirements

/**
 * Checks every requirement against the table's current metadata (`undefined` when the table
 * does not exist), with the semantics of Java's `UpdateRequirement`. The first that fails is
 * thrown as a retryable `CommitConflictError` naming it in `context.requirement`: the commit
 * loop reloads the table and rebuilds its changes.
 *
 * @example
 * ```ts
 * checkRequirements(current, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parentId ?? null }])
 * ```
 */
export function checkRequirements(
  metadata: TableMetadata | undefined,
  requirements: readonly TableRequirement[],
): void {
  for (const requirement of requirements) checkRequirement(metadata, requirement)
}

function checkRequirement(metadata: TableMetadata | undefined, requirement: TableRequirement): void {
  const conflict = (message: string, expected?: unknown, actual?: unknown) =>
    new CommitConflictError(`Requirement failed: ${message}`, {
      context: {
        requirement: requirement.type,
        ...(expected === undefined ? {} : { expected: String(expected) }),
        ...(actual === undefined ? {} : { actual: String(actual) }),
      },
    })
  if (requirement.type === 'assert-create') {
    if (metadata) throw conflict('table already exists')
    return
  }
  if (!metadata) {
    // Java lets these two pass for a table being created in the same transaction.
    if (
      requirement.type === 'assert-last-assigned-field-id' ||
      requirement.type === 'assert-last-assigned-partition-id'
    ) {
      return
    }
    throw conflict('table does not exist')
  }
  const mismatch = (what: string, expected: number | string, actual: number | string) => {
    if (expected !== actual)
      throw conflict(`${what} changed: expected id ${expected} != ${actual}`, expected, actual)
  }
  switch (requirement.type) {
    case 'assert-table-uuid':
      if (requirement.uuid.toLowerCase() !== metadata.tableUuid.toLowerCase()) {
        throw conflict(
          `UUID does not match: expected ${requirement.uuid} != ${metadata.tableUuid}`,
          requirement.uuid,
          metadata.tableUuid,
        )
      }
      return
    case 'assert-ref-snapshot-id':
      checkRef(metadata, requirement.ref, requirement['snapshot-id'], conflict)
      return
    case 'assert-last-assigned-field-id':
      mismatch('last assigned field id', requirement['last-assigned-field-id'], metadata.lastColumnId)
      return
    case 'assert-current-schema-id':
      mismatch('current schema', requirement['current-schema-id'], metadata.currentSchemaId)
      return
    case 'assert-last-assigned-partition-id':
      mismatch(
        'last assigned partition id',
        requirement['last-assigned-partition-id'],
        metadata.lastPartitionId,
      )
      return
    case 'assert-default-spec-id':
      mismatch('default partition spec', requirement['default-spec-id'], metadata.defaultSpecId)
      return
    case 'assert-default-sort-order-id':
      mismatch('default sort order', requirement['default-sort-order-id'], metadata.defaultSortOrderId)
      return
  }
}

function checkRef(
  metadata: TableMetadata,
  name: string,
  expected: bigint | null,
  conflict: (message: string, expected?: unknown, actual?: unknown) => CommitConflictError,
): void {
  const ref = metadata.refs.get(name)
  if (ref) {
    if (expected === null)
      throw conflict(`${ref.type} ${name} was created concurrently`, null, ref.snapshotId)
    else if (ref.snapshotId !== expected) {
      throw conflict(
        `${ref.type} ${name} has changed: expected id ${expected} != ${ref.snapshotId}`,
        expected,
        ref.snapshotId,
      )
    }
  } else if (expected !== null) {
    throw conflict(`branch or tag ${name} is missing, expected ${expected}`, expected, null)
  }
}

// ---------------------------------------------------------------------------------------------
// Applying updates

/** Options of {@link applyUpdates}. */
export interface ApplyUpdatesOptions {
  /** The commit time: becomes `last-updated-ms`, and the snapshot-log time of a rollback. */
  readonly timestampMs: number
}

/**
 * The metadata that results from applying `updates` in order, as Java's
 * `TableMetadata.Builder` produces it: equal schemas, specs and orders are reused rather than
 * added twice; partition field ids are reused for equivalent fields; moving `main` moves the
 * current snapshot and appends to the snapshot log (with the snapshot's own time when it was
 * added in this commit), while snapshots replaced within the same commit are dropped from the
 * log; in v2 a new snapshot's sequence number must be above the table's (a retryable
 * `CommitConflictError` otherwise: someone else committed first). When nothing changes, the
 * same instance is returned; otherwise `last-updated-ms` is `timestampMs`. The metadata log is
 * the catalog's to extend, with `withMetadataLogEntry`.
 *
 * Invalid updates throw `ValidationError`.
 *
 * @example
 * ```ts
 * checkRequirements(current, requirements)
 * const next = withMetadataLogEntry(applyUpdates(current, updates, { timestampMs: now }), currentLocation, current.lastUpdatedMs)
 * ```
 */
export function applyUpdates(
  metadata: TableMetadata,
  updates: readonly TableUpdate[],
  options: ApplyUpdatesOptions,
): TableMetadata {
  const builder = new MetadataBuilder(metadata, options.timestampMs)
  for (const update of updates) builder.apply(update)
  return builder.build()
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

class MetadataBuilder {
  readonly #base: TableMetadata
  readonly #timestampMs: number
  readonly #m: Mutable<TableMetadataFields>
  readonly #schemas: Schema[]
  readonly #specs: PartitionSpec[]
  readonly #orders: SortOrder[]
  readonly #snapshots: Map<bigint, Snapshot>
  readonly #refs: Map<string, SnapshotRef>
  readonly #snapshotLog: SnapshotLogEntry[]
  /** The changes that took effect, as Java's builder records them. */
  readonly #changes: TableUpdate[] = []
  #lastAddedSchemaId: number | undefined
  #lastAddedSpecId: number | undefined
  #lastAddedOrderId: number | undefined

  constructor(base: TableMetadata, timestampMs: number) {
    this.#base = base
    this.#timestampMs = timestampMs
    this.#m = base.fields()
    this.#schemas = [...base.schemas]
    this.#specs = [...base.partitionSpecs]
    this.#orders = [...base.sortOrders]
    this.#snapshots = new Map(base.snapshots.map((s) => [s.snapshotId, s]))
    this.#refs = new Map(base.refs)
    this.#snapshotLog = [...base.snapshotLog]
  }

  apply(update: TableUpdate): void {
    switch (update.action) {
      case 'assign-uuid':
        this.#assignUuid(update.uuid)
        return
      case 'upgrade-format-version':
        this.#upgradeFormatVersion(update['format-version'])
        return
      case 'add-schema':
        this.#addSchema(update.schema, update['last-column-id'])
        return
      case 'set-current-schema':
        this.#setCurrentSchema(update['schema-id'])
        return
      case 'add-spec':
        this.#addSpec(update.spec)
        return
      case 'set-default-spec':
        this.#setDefaultSpec(update['spec-id'])
        return
      case 'add-sort-order':
        this.#addSortOrder(update['sort-order'])
        return
      case 'set-default-sort-order':
        this.#setDefaultSortOrder(update['sort-order-id'])
        return
      case 'add-snapshot':
        this.#addSnapshot(update.snapshot)
        return
      case 'set-snapshot-ref':
        this.#setRef(update['ref-name'], refOf(update))
        return
      case 'remove-snapshots':
        this.#removeSnapshots(update['snapshot-ids'])
        return
      case 'remove-snapshot-ref':
        this.#removeRef(update['ref-name'])
        return
      case 'set-location':
        this.#setLocation(update.location)
        return
      case 'set-properties':
        this.#setProperties(update.updates)
        return
      case 'remove-properties':
        this.#removeProperties(update.removals)
        return
      default:
        throw new ValidationError(
          `Unknown table update ${JSON.stringify((update as { action?: unknown }).action)}`,
        )
    }
  }

  #assignUuid(uuid: string): void {
    if (uuid === this.#m.tableUuid) return
    this.#m.tableUuid = uuid
    this.#changes.push({ action: 'assign-uuid', uuid })
  }

  #upgradeFormatVersion(version: number): void {
    if (version !== 1 && version !== 2) {
      throw new ValidationError(
        `Cannot upgrade table to unsupported format version v${version} (supported: v2)`,
      )
    }
    if (version < this.#m.formatVersion) {
      throw new ValidationError(`Cannot downgrade v${this.#m.formatVersion} table to v${version}`)
    }
    if (version === this.#m.formatVersion) return
    this.#m.formatVersion = version as FormatVersion
    this.#changes.push({ action: 'upgrade-format-version', 'format-version': version })
  }

  #addSchema(schema: Schema, lastColumnId: number | undefined): void {
    const newLastColumnId = Math.max(this.#m.lastColumnId, lastColumnId ?? 0, schema.highestFieldId())
    const existing = this.#schemas.find((s) => s.sameSchema(schema))
    if (existing && newLastColumnId === this.#m.lastColumnId) {
      // Already there: it still counts as "last added", so a following set-current-schema -1 works.
      this.#lastAddedSchemaId = existing.schemaId
      return
    }
    const schemaId =
      existing?.schemaId ?? Math.max(this.#m.currentSchemaId, ...this.#schemas.map((s) => s.schemaId + 1))
    this.#m.lastColumnId = newLastColumnId
    const added = schema.schemaId === schemaId ? schema : schema.withSchemaId(schemaId)
    if (!existing) this.#schemas.push(added)
    this.#changes.push({ action: 'add-schema', schema: added })
    this.#lastAddedSchemaId = schemaId
  }

  #setCurrentSchema(requested: number): void {
    const schemaId = this.#resolveLastAdded(requested, this.#lastAddedSchemaId, 'schema')
    if (schemaId === this.#m.currentSchemaId) return
    if (!this.#schemas.some((s) => s.schemaId === schemaId)) {
      throw new ValidationError(`Cannot set current schema to unknown schema: ${schemaId}`)
    }
    this.#m.currentSchemaId = schemaId
    this.#changes.push({ action: 'set-current-schema', 'schema-id': schemaId })
  }

  #addSpec(unbound: UnboundPartitionSpec): void {
    const fields = assignPartitionFieldIds(
      unbound,
      this.#specs,
      this.#m.lastPartitionId,
      this.#m.formatVersion,
    )
    const candidate = { fields }
    const existing = this.#specs.find((s) => specCompatible(candidate, s))
    if (existing) {
      this.#lastAddedSpecId = existing.specId
      return
    }
    const specId = Math.max(0, ...this.#specs.map((s) => s.specId + 1))
    const spec = buildPartitionSpec(this.#currentSchema(), fields, { specId })
    if (this.#m.formatVersion === 1 && !hasSequentialIds(spec)) {
      throw new ValidationError('A v1 partition spec must number its fields 1000, 1001, … in order', {
        context: { specId },
      })
    }
    this.#specs.push(spec)
    this.#m.lastPartitionId = Math.max(this.#m.lastPartitionId, lastAssignedFieldId(spec))
    this.#changes.push({ action: 'add-spec', spec })
    this.#lastAddedSpecId = specId
  }

  #setDefaultSpec(requested: number): void {
    const specId = this.#resolveLastAdded(requested, this.#lastAddedSpecId, 'partition spec')
    if (specId === this.#m.defaultSpecId) return
    if (!this.#specs.some((s) => s.specId === specId)) {
      throw new ValidationError(`Cannot set default partition spec to unknown spec: ${specId}`)
    }
    this.#m.defaultSpecId = specId
    this.#changes.push({ action: 'set-default-spec', 'spec-id': specId })
  }

  #addSortOrder(order: SortOrder): void {
    const existing = isUnsorted(order)
      ? this.#orders.find((o) => o.orderId === UNSORTED_ORDER_ID)
      : this.#orders.find((o) => !isUnsorted(o) && sameSortOrder(o, order))
    if (existing) {
      this.#lastAddedOrderId = existing.orderId
      return
    }
    const added: SortOrder = isUnsorted(order)
      ? UNSORTED_ORDER
      : { orderId: Math.max(1, ...this.#orders.map((o) => o.orderId + 1)), fields: order.fields }
    validateSortOrder(added, this.#currentSchema())
    this.#orders.push(added)
    this.#changes.push({ action: 'add-sort-order', 'sort-order': added })
    this.#lastAddedOrderId = added.orderId
  }

  #setDefaultSortOrder(requested: number): void {
    const orderId = this.#resolveLastAdded(requested, this.#lastAddedOrderId, 'sort order')
    if (orderId === this.#m.defaultSortOrderId) return
    if (!this.#orders.some((o) => o.orderId === orderId)) {
      throw new ValidationError(`Cannot set default sort order to unknown order: ${orderId}`)
    }
    this.#m.defaultSortOrderId = orderId
    this.#changes.push({ action: 'set-default-sort-order', 'sort-order-id': orderId })
  }

  #resolveLastAdded(requested: number, lastAdded: number | undefined, what: string): number {
    if (requested !== LAST_ADDED) return requested
    if (lastAdded === undefined)
      throw new ValidationError(`Cannot set last added ${what}: no ${what} has been added`)
    return lastAdded
  }

  #addSnapshot(snapshot: Snapshot): void {
    if (this.#snapshots.has(snapshot.snapshotId)) {
      throw new ValidationError(`Snapshot already exists for id: ${snapshot.snapshotId}`, {
        context: { snapshotId: String(snapshot.snapshotId) },
      })
    }
    const last = this.#m.lastSequenceNumber
    if (
      this.#m.formatVersion > 1 &&
      snapshot.sequenceNumber <= last &&
      snapshot.parentSnapshotId !== undefined
    ) {
      throw new CommitConflictError(
        `Cannot add snapshot with sequence number ${snapshot.sequenceNumber} older than last sequence number ${last}`,
        { context: { snapshotId: String(snapshot.snapshotId) } },
      )
    }
    this.#m.lastSequenceNumber = snapshot.sequenceNumber
    this.#snapshots.set(snapshot.snapshotId, snapshot)
    this.#changes.push({ action: 'add-snapshot', snapshot })
  }

  #setRef(name: string, ref: SnapshotRef): void {
    const existing = this.#refs.get(name)
    if (existing && refsEqual(existing, ref)) return
    validateSnapshotRef(ref)
    const snapshot = this.#snapshots.get(ref.snapshotId)
    if (!snapshot) {
      throw new ValidationError(`Cannot set ${name} to unknown snapshot: ${ref.snapshotId}`, {
        context: { ref: name, snapshotId: String(ref.snapshotId) },
      })
    }
    if (name === MAIN_BRANCH && ref.type !== 'branch') {
      throw new ValidationError(`Cannot set ${MAIN_BRANCH} to a tag, it must be a branch`, {
        context: { ref: name },
      })
    }
    if (name === MAIN_BRANCH) {
      this.#m.currentSnapshotId = ref.snapshotId
      // A rollback to an older snapshot happened now, not when that snapshot was written.
      const added = this.#changes.some(
        (c) => c.action === 'add-snapshot' && c.snapshot.snapshotId === ref.snapshotId,
      )
      this.#snapshotLog.push({
        timestampMs: added ? snapshot.timestampMs : this.#timestampMs,
        snapshotId: ref.snapshotId,
      })
    }
    this.#refs.set(name, ref)
    this.#changes.push(setRefUpdate(name, ref))
  }

  #removeRef(name: string): void {
    if (name === MAIN_BRANCH) this.#m.currentSnapshotId = undefined
    if (this.#refs.delete(name)) this.#changes.push({ action: 'remove-snapshot-ref', 'ref-name': name })
  }

  #removeSnapshots(ids: readonly bigint[]): void {
    const removing = new Set(ids)
    for (const id of removing) {
      if (!this.#snapshots.delete(id)) continue
      this.#changes.push({ action: 'remove-snapshots', 'snapshot-ids': [id] })
      this.#m.statistics = this.#m.statistics.filter((s) => statisticsSnapshotId(s) !== id)
      this.#m.partitionStatistics = this.#m.partitionStatistics.filter((s) => statisticsSnapshotId(s) !== id)
    }
    for (const [name, ref] of [...this.#refs]) if (!this.#snapshots.has(ref.snapshotId)) this.#removeRef(name)
  }

  #setLocation(location: string): void {
    if (location === this.#m.location) return
    this.#m.location = location
    this.#changes.push({ action: 'set-location', location })
  }

  #setProperties(updates: Readonly<Record<string, string>>): void {
    if (Object.keys(updates).length === 0) return
    this.#m.properties = { ...this.#m.properties, ...updates }
    this.#changes.push({ action: 'set-properties', updates })
  }

  #removeProperties(removals: readonly string[]): void {
    if (removals.length === 0) return
    const removed = new Set(removals)
    this.#m.properties = Object.fromEntries(
      Object.entries(this.#m.properties).filter(([key]) => !removed.has(key)),
    )
    this.#changes.push({ action: 'remove-properties', removals })
  }

  #currentSchema(): Schema {
    return this.#schemas.find((s) => s.schemaId === this.#m.currentSchemaId)!
  }

  build(): TableMetadata {
    if (this.#changes.length === 0) return this.#base
    const schema = this.#currentSchema()
    validatePartitionSpec(this.#specs.find((s) => s.specId === this.#m.defaultSpecId)!, schema)
    validateSortOrder(this.#orders.find((o) => o.orderId === this.#m.defaultSortOrderId)!, schema)
    return new TableMetadata({
      ...this.#m,
      lastUpdatedMs: this.#timestampMs,
      schemas: this.#schemas,
      partitionSpecs: this.#specs,
      sortOrders: this.#orders,
      snapshots: [...this.#snapshots.values()],
      refs: this.#refs,
      snapshotLog: this.#updatedSnapshotLog(),
    })
  }

  /**
   * Drops snapshots that were made current and then replaced within this commit, and, when
   * snapshots were removed, the history before the last removed one: a gap would make time
   * travel name the wrong snapshot for that period.
   */
  #updatedSnapshotLog(): SnapshotLogEntry[] {
    const current = this.#m.currentSnapshotId
    const added = new Set<bigint>()
    const intermediate = new Set<bigint>()
    for (const change of this.#changes) {
      if (change.action === 'add-snapshot') added.add(change.snapshot.snapshotId)
      else if (change.action === 'set-snapshot-ref') {
        const id = change['snapshot-id']
        if (added.has(id) && change['ref-name'] === MAIN_BRANCH && id !== current) intermediate.add(id)
      }
    }
    const removed = this.#changes.some((c) => c.action === 'remove-snapshots')
    if (intermediate.size === 0 && !removed) return this.#snapshotLog
    const log: SnapshotLogEntry[] = []
    for (const entry of this.#snapshotLog) {
      if (this.#snapshots.has(entry.snapshotId)) {
        if (!intermediate.has(entry.snapshotId)) log.push(entry)
      } else if (removed) {
        log.length = 0
      }
    }
    if (current !== undefined && this.#snapshots.has(current) && log.at(-1)?.snapshotId !== current) {
      throw new ValidationError('Cannot set invalid snapshot log: latest entry is not the current snapshot')
    }
    return log
  }
}

function refOf(update: Extract<TableUpdate, { action: 'set-snapshot-ref' }>): SnapshotRef {
  const ref: Mutable<SnapshotRef> = { snapshotId: update['snapshot-id'], type: update.type }
  if (update['min-snapshots-to-keep'] !== undefined) ref.minSnapshotsToKeep = update['min-snapshots-to-keep']
  if (update['max-snapshot-age-ms'] !== undefined) ref.maxSnapshotAgeMs = update['max-snapshot-age-ms']
  if (update['max-ref-age-ms'] !== undefined) ref.maxRefAgeMs = update['max-ref-age-ms']
  return ref
}

function setRefUpdate(name: string, ref: SnapshotRef): TableUpdate {
  return {
    action: 'set-snapshot-ref',
    'ref-name': name,
    type: ref.type,
    'snapshot-id': ref.snapshotId,
    ...(ref.maxRefAgeMs === undefined ? {} : { 'max-ref-age-ms': ref.maxRefAgeMs }),
    ...(ref.maxSnapshotAgeMs === undefined ? {} : { 'max-snapshot-age-ms': ref.maxSnapshotAgeMs }),
    ...(ref.minSnapshotsToKeep === undefined ? {} : { 'min-snapshots-to-keep': ref.minSnapshotsToKeep }),
  }
}

function refsEqual(a: SnapshotRef, b: SnapshotRef): boolean {
  return (
    a.snapshotId === b.snapshotId &&
    a.type === b.type &&
    a.minSnapshotsToKeep === b.minSnapshotsToKeep &&
    a.maxSnapshotAgeMs === b.maxSnapshotAgeMs &&
    a.maxRefAgeMs === b.maxRefAgeMs
  )
}

function statisticsSnapshotId(statistics: JsonValue): bigint | undefined {
  if (typeof statistics !== 'object' || statistics === null || Array.isArray(statistics)) return undefined
  const id = statistics['snapshot-id']
  return typeof id === 'bigint' ? id : typeof id === 'number' && Number.isInteger(id) ? BigInt(id) : undefined
}

// ---------------------------------------------------------------------------------------------
// JSON

/** An update in the REST JSON form, nested objects as Java writes them. */
export function tableUpdateToJson(update: TableUpdate): JsonObject {
  switch (update.action) {
    case 'add-schema': {
      const json: JsonObject = { action: update.action, schema: schemaToMetadataJson(update.schema) }
      if (update['last-column-id'] !== undefined) json['last-column-id'] = update['last-column-id']
      return json
    }
    case 'add-spec':
      return { action: update.action, spec: partitionSpecToJson(update.spec) }
    case 'add-sort-order':
      return { action: update.action, 'sort-order': sortOrderToJson(update['sort-order']) }
    case 'add-snapshot':
      return { action: update.action, snapshot: snapshotToJson(update.snapshot) }
    case 'remove-snapshots':
      return { action: update.action, 'snapshot-ids': [...update['snapshot-ids']] }
    case 'set-properties':
      return { action: update.action, updates: { ...update.updates } }
    case 'remove-properties':
      return { action: update.action, removals: [...update.removals] }
    default:
      return { ...update } as JsonObject
  }
}

/**
 * Parses an update from its REST JSON form. Malformed input is a `ValidationError` (it is a
 * request, not a stored file); `where` names its source in the message.
 */
export function tableUpdateFromJson(json: unknown, where?: string): TableUpdate {
  return asRequestError(() => {
    const r = new JsonFieldReader(json, 'a table update', where)
    const action = r.string('action')
    switch (action) {
      case 'assign-uuid':
        return { action, uuid: r.string('uuid') }
      case 'upgrade-format-version':
        return { action, 'format-version': r.int('format-version') }
      case 'add-schema': {
        const schema = schemaFromJson(r.json.schema, where)
        const lastColumnId = r.optionalInt('last-column-id')
        return lastColumnId === undefined
          ? { action, schema }
          : { action, schema, 'last-column-id': lastColumnId }
      }
      case 'set-current-schema':
        return { action, 'schema-id': r.int('schema-id') }
      case 'add-spec':
        return { action, spec: unboundPartitionSpecFromJson(r.json.spec, where) }
      case 'set-default-spec':
        return { action, 'spec-id': r.int('spec-id') }
      case 'add-sort-order':
        return { action, 'sort-order': sortOrderFromJson(r.json['sort-order'], where) }
      case 'set-default-sort-order':
        return { action, 'sort-order-id': r.int('sort-order-id') }
      case 'add-snapshot':
        return { action, snapshot: snapshotFromJson(r.json.snapshot, where) }
      case 'set-snapshot-ref':
        return setRefFromJson(r)
      case 'remove-snapshots':
        return { action, 'snapshot-ids': r.array('snapshot-ids').map((_, i) => longAt(r, 'snapshot-ids', i)) }
      case 'remove-snapshot-ref':
        return { action, 'ref-name': r.string('ref-name') }
      case 'set-location':
        return { action, location: r.string('location') }
      case 'set-properties':
        return { action, updates: r.stringMap('updates') }
      case 'remove-properties':
        return { action, removals: r.array('removals').map((_, i) => stringAt(r, 'removals', i)) }
      default:
        throw r.error(`Unknown table update action '${action}'`)
    }
  })
}

function setRefFromJson(r: JsonFieldReader): TableUpdate {
  const type = r.string('type').toLowerCase()
  if (type !== 'branch' && type !== 'tag') throw r.error(`Unknown snapshot ref type '${type}'`)
  const update: Mutable<Extract<TableUpdate, { action: 'set-snapshot-ref' }>> = {
    action: 'set-snapshot-ref',
    'ref-name': r.string('ref-name'),
    type,
    'snapshot-id': r.long('snapshot-id'),
  }
  const maxRefAgeMs = r.optionalSafeLong('max-ref-age-ms')
  if (maxRefAgeMs !== undefined) update['max-ref-age-ms'] = maxRefAgeMs
  const maxSnapshotAgeMs = r.optionalSafeLong('max-snapshot-age-ms')
  if (maxSnapshotAgeMs !== undefined) update['max-snapshot-age-ms'] = maxSnapshotAgeMs
  const minSnapshotsToKeep = r.optionalInt('min-snapshots-to-keep')
  if (minSnapshotsToKeep !== undefined) update['min-snapshots-to-keep'] = minSnapshotsToKeep
  return update
}

/** A requirement in the REST JSON form. */
export function tableRequirementToJson(requirement: TableRequirement): JsonObject {
  return { ...requirement } as JsonObject
}

/** Parses a requirement from its REST JSON form; malformed input is a `ValidationError`. */
export function tableRequirementFromJson(json: unknown, where?: string): TableRequirement {
  return asRequestError(() => {
    const r = new JsonFieldReader(json, 'a table requirement', where)
    const type = r.string('type')
    switch (type) {
      case 'assert-create':
        return { type }
      case 'assert-table-uuid':
        return { type, uuid: r.string('uuid') }
      case 'assert-ref-snapshot-id':
        if (!('snapshot-id' in r.json))
          throw r.error(`'snapshot-id' is required (null if the ref must not exist)`)
        return { type, ref: r.string('ref'), 'snapshot-id': r.optionalLong('snapshot-id') ?? null }
      case 'assert-last-assigned-field-id':
        return { type, 'last-assigned-field-id': r.int('last-assigned-field-id') }
      case 'assert-current-schema-id':
        return { type, 'current-schema-id': r.int('current-schema-id') }
      case 'assert-last-assigned-partition-id':
        return { type, 'last-assigned-partition-id': r.int('last-assigned-partition-id') }
      case 'assert-default-spec-id':
        return { type, 'default-spec-id': r.int('default-spec-id') }
      case 'assert-default-sort-order-id':
        return { type, 'default-sort-order-id': r.int('default-sort-order-id') }
      default:
        throw r.error(`Unknown table requirement type '${type}'`)
    }
  })
}

function longAt(r: JsonFieldReader, key: string, index: number): bigint {
  return new JsonFieldReader({ value: r.array(key)[index]! }, key, r.where).long('value')
}

function stringAt(r: JsonFieldReader, key: string, index: number): string {
  return new JsonFieldReader({ value: r.array(key)[index]! }, key, r.where).string('value')
}

function asRequestError<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (isLakeError(error) && !(error instanceof ValidationError)) {
      throw new ValidationError(error.message, { context: error.context, cause: error })
    }
    throw error
  }
}
