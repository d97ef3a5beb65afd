import {
  AlreadyExistsError,
  CommitConflictError,
  type LakeHooks,
  NotFoundError,
  ValidationError,
} from '@lake/errors'
import type { Catalog } from '../catalog/catalog.js'
import { identifierToString, type TableIdentifier } from '../catalog/identifier.js'
import type { Expression } from '../expr/expressions.js'
import type { FileIO } from '../io/file-io.js'
import { TableScan, type TableScanOptions } from '../scan/table-scan.js'
import type { PartitionSpec } from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import { MAIN_BRANCH, type Snapshot } from '../spec/snapshot.js'
import type { SortOrder } from '../spec/sort-order.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import { type AppendInput, appendAction, appendColumnsAction } from '../transaction/append.js'
import { commitAction } from '../transaction/commit.js'
import { deleteAction, overwriteAction } from '../transaction/delete.js'
import { propertiesAction } from '../transaction/properties.js'
import { SchemaUpdate } from '../transaction/update-schema.js'
import type { ColumnBatch } from '../writer/column-batch.js'
import { referencedFiles } from './referenced-files.js'
import { type SnapshotSelector, selectSnapshot } from './time-travel.js'

/** Something that owns a table's commits: a catalog, plus its storage and hooks. */
export interface TableOwner extends Catalog {
  readonly io: FileIO
  readonly hooks: LakeHooks
}

/** One entry of {@link Table.history}: when a snapshot became the current one. */
export interface HistoryEntry {
  snapshotId: bigint
  timestampMs: number
  /** Whether the snapshot is an ancestor of the current snapshot (false after a rollback). */
  isCurrentAncestor: boolean
}

/** Options of {@link Table.append}. */
export interface AppendOptions {
  /** Stops writing and committing when aborted. */
  signal?: AbortSignal
  /**
   * Extra snapshot summary properties (e.g. the Kafka offsets committed with the data),
   * computed on every commit attempt from the metadata that attempt builds on — after a
   * conflict, the fresh metadata — so they can carry forward or check what the new parent
   * holds. The snapshot commits only if `main` still points at that parent, so a check made
   * here is a compare-and-set. Throwing ends the commit as any failure does: a non-retryable
   * error abandons it (the table stays as it was and the written files are deleted), a
   * retryable one is retried like a conflict.
   */
  summary?: (base: TableMetadata) => Readonly<Record<string, string>>
}

/** Options of {@link Table.appendColumns}. */
export interface AppendColumnsOptions extends AppendOptions {
  /** The schema the batches were validated against (`ColumnBuilder.schemaId`). */
  schemaId: number
}

/** A schema change in progress: {@link SchemaUpdate} with a `commit()` that applies it to the table. */
export interface PendingSchemaUpdate extends SchemaUpdate {
  commit(): Promise<void>
}

/**
 * An Iceberg table: its current metadata, and every operation on it. Writes commit through
 * the catalog's optimistic concurrency; after each commit the object shows the new version.
 *
 * @example
 * ```ts
 * const table = await catalog.loadTable('analytics.events')
 * await table.append([{ id: 1n, ts: new Date(), kind: 'view' }])
 * for await (const batch of table.scan({ filter: eq('kind', 'view') }).batches()) console.log(batch.numRows)
 * ```
 */
export class Table {
  readonly #owner: TableOwner
  readonly identifier: TableIdentifier
  #metadata: TableMetadata
  #metadataLocation: string

  constructor(
    owner: TableOwner,
    identifier: TableIdentifier,
    metadata: TableMetadata,
    metadataLocation: string,
  ) {
    this.#owner = owner
    this.identifier = identifier
    this.#metadata = metadata
    this.#metadataLocation = metadataLocation
  }

  /** The dotted identifier, e.g. `analytics.events`. */
  get name(): string {
    return identifierToString(this.identifier)
  }
  /** The table's current metadata. */
  get metadata(): TableMetadata {
    return this.#metadata
  }
  /** Where the current metadata file is. */
  get metadataLocation(): string {
    return this.#metadataLocation
  }
  /** The table's root location. */
  get location(): string {
    return this.#metadata.location
  }
  /** The storage the table is read and written through. */
  get io(): FileIO {
    return this.#owner.io
  }
  /** Hooks that receive this table's metrics and logs. */
  get hooks(): LakeHooks {
    return this.#owner.hooks
  }
  /** Table properties. */
  get properties(): Readonly<Record<string, string>> {
    return this.#metadata.properties
  }

  /** The current schema. */
  schema(): Schema {
    return this.#metadata.currentSchema()
  }
  /** The default partition spec, used for new writes. */
  spec(): PartitionSpec {
    return this.#metadata.defaultSpec()
  }
  /** The default sort order. */
  sortOrder(): SortOrder {
    return this.#metadata.defaultSortOrder()
  }
  /** The current snapshot of `main`, or undefined for an empty table. */
  currentSnapshot(): Snapshot | undefined {
    return this.#metadata.currentSnapshot()
  }
  /** Every snapshot the metadata still holds, oldest first. */
  snapshots(): readonly Snapshot[] {
    return this.#metadata.snapshots
  }
  /** A snapshot selected by id, by timestamp (the one current then), or by branch or tag name. */
  snapshot(selector: SnapshotSelector): Snapshot {
    return selectSnapshot(this.#metadata, selector, this.name)
  }
  /** When each snapshot became current, from the snapshot log. */
  history(): HistoryEntry[] {
    const ancestors = new Set(
      this.#metadata.ancestorsOf(this.currentSnapshot()?.snapshotId).map((s) => s.snapshotId),
    )
    return this.#metadata.snapshotLog.map((entry) => ({
      snapshotId: entry.snapshotId,
      timestampMs: entry.timestampMs,
      isCurrentAncestor: ancestors.has(entry.snapshotId),
    }))
  }

  /** Reloads the table's current metadata from the catalog. */
  async refresh(): Promise<this> {
    const fresh = await this.#owner.loadTable(this.identifier)
    this.#metadata = fresh.metadata
    this.#metadataLocation = fresh.metadataLocation
    return this
  }

  /**
   * Appends rows, an Arrow `Table` or `RecordBatch`es. Rows are validated against the schema
   * first (a `ValidationError` names the field and row, and nothing is written), then written
   * as Parquet files fanned out by the partition spec and committed as one snapshot.
   * `options.summary` adds snapshot summary properties checked against each attempt's base.
   */
  async append(data: AppendInput, options: AppendOptions = {}): Promise<Snapshot> {
    const action = await appendAction(this, data, options.signal ? { signal: options.signal } : {})
    action.extraSummary = options.summary
    return this.#commitSnapshot(action)
  }

  /**
   * Appends batches of rows already validated against the schema `options.schemaId` by a
   * `ColumnBuilder`, without validating them again, as one snapshot. Refused with a
   * non-retryable `CommitConflictError`, before writing and on every commit attempt, when the
   * table's current schema is another one: the caller validates again against the new schema.
   */
  async appendColumns(batches: readonly ColumnBatch[], options: AppendColumnsOptions): Promise<Snapshot> {
    const action = await appendColumnsAction(
      this,
      batches,
      options.schemaId,
      options.signal ? { signal: options.signal } : {},
    )
    action.extraSummary = options.summary
    return this.#commitSnapshot(action)
  }

  /**
   * Replaces the rows matching `filter` with `data`, in one snapshot: files wholly matching
   * are dropped from the table, files partly matching are rewritten without the matching rows.
   */
  async overwrite(
    filter: Expression,
    data: AppendInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<Snapshot> {
    return this.#commitSnapshot(await overwriteAction(this, filter, data, options))
  }

  /** Deletes the rows matching `filter`: metadata-only when whole files match, rewriting files otherwise. */
  async delete(filter: Expression, options: { signal?: AbortSignal } = {}): Promise<Snapshot | undefined> {
    const action = await deleteAction(this, filter, options)
    return action ? this.#commitSnapshot(action) : undefined
  }

  /** Starts a schema change; `commit()` applies it. */
  updateSchema(options: { caseSensitive?: boolean } = {}): PendingSchemaUpdate {
    const update = new SchemaUpdate(
      this.schema(),
      this.#metadata.lastColumnId,
      options,
    ) as PendingSchemaUpdate
    update.commit = async () => {
      const { schema, lastColumnId } = update.apply()
      const base = this.#metadata
      // Requirements pin the schema this change was made against; a concurrent append is no
      // conflict for it, a concurrent schema change is.
      const changes = {
        requirements: [
          { type: 'assert-current-schema-id' as const, 'current-schema-id': base.currentSchemaId },
          { type: 'assert-last-assigned-field-id' as const, 'last-assigned-field-id': base.lastColumnId },
        ],
        updates: [
          { action: 'add-schema' as const, schema, 'last-column-id': lastColumnId },
          { action: 'set-current-schema' as const, 'schema-id': -1 },
        ],
      }
      await this.#apply({
        build: (metadata) => {
          // Another schema change got there first: re-applying this one on top would silently
          // undo or duplicate it, so the caller must look at the new schema and decide.
          if (metadata.currentSchemaId !== base.currentSchemaId) {
            throw new CommitConflictError(`The schema of ${this.name} was changed concurrently`, {
              retryable: false,
              context: { table: this.name },
            })
          }
          return changes
        },
      })
    }
    return update
  }

  /**
   * Tags a snapshot (the current one by default) so it can be read by name later, e.g. with
   * `scan({ ref: 'end-of-quarter' })`. Refuses a name that is already a branch or tag.
   */
  async createTag(name: string, snapshotId?: bigint, options: { maxRefAgeMs?: number } = {}): Promise<void> {
    await this.#createRef(name, 'tag', snapshotId, options)
  }

  /** Creates a branch at a snapshot (the current one by default). */
  async createBranch(name: string, snapshotId?: bigint): Promise<void> {
    await this.#createRef(name, 'branch', snapshotId, {})
  }

  /** Removes a branch or tag; the snapshots stay. `main` cannot be removed this way. */
  async removeRef(name: string): Promise<void> {
    if (name === MAIN_BRANCH) {
      throw new ValidationError('The main branch cannot be removed', {
        context: { table: this.name, ref: name },
      })
    }
    const ref = this.#metadata.refs.get(name)
    if (!ref)
      throw new NotFoundError(`Table ${this.name} has no branch or tag '${name}'`, {
        context: { table: this.name, ref: name },
      })
    await this.#apply({
      build: () => ({
        updates: [{ action: 'remove-snapshot-ref', 'ref-name': name }],
        requirements: [{ type: 'assert-ref-snapshot-id', ref: name, 'snapshot-id': ref.snapshotId }],
      }),
    })
  }

  async #createRef(
    name: string,
    type: 'branch' | 'tag',
    snapshotId: bigint | undefined,
    options: { maxRefAgeMs?: number },
  ): Promise<void> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new ValidationError('A branch or tag needs a name', {
        context: { table: this.name, field: 'name' },
      })
    }
    if (this.#metadata.refs.has(name)) {
      throw new AlreadyExistsError(`Table ${this.name} already has a branch or tag '${name}'`, {
        context: { table: this.name, ref: name },
      })
    }
    const target = snapshotId ?? this.currentSnapshot()?.snapshotId
    if (target === undefined || !this.#metadata.snapshotById(target)) {
      throw new NotFoundError(`Table ${this.name} has no snapshot ${target ?? '(it is empty)'}`, {
        context: { table: this.name, snapshotId: String(target) },
      })
    }
    await this.#apply({
      build: () => ({
        updates: [
          {
            action: 'set-snapshot-ref',
            'ref-name': name,
            type,
            'snapshot-id': target,
            ...(options.maxRefAgeMs === undefined ? {} : { 'max-ref-age-ms': options.maxRefAgeMs }),
          },
        ],
        requirements: [{ type: 'assert-ref-snapshot-id', ref: name, 'snapshot-id': null }],
      }),
    })
  }

  /** Sets and removes table properties in one commit. */
  async updateProperties(
    set: Readonly<Record<string, string>>,
    remove: readonly string[] = [],
  ): Promise<void> {
    await this.#apply(propertiesAction(set, remove))
  }

  /** Starts a scan; nothing is read until it is planned or iterated. */
  scan(options: TableScanOptions = {}): TableScan {
    return new TableScan(this, options)
  }

  /** Every file the metadata references: metadata files, manifest lists, manifests, data and delete files. */
  async referencedFiles(): Promise<string[]> {
    return referencedFiles(this.io, this.#metadata, this.#metadataLocation)
  }

  async #commitSnapshot(action: Parameters<typeof commitAction>[1]): Promise<Snapshot> {
    const result = await this.#apply(action)
    return result.metadata.currentSnapshot()!
  }

  async #apply(action: Parameters<typeof commitAction>[1]) {
    const result = await commitAction(
      {
        owner: this.#owner,
        identifier: this.identifier,
        current: () => this.#metadata,
        refresh: () => this.refresh(),
      },
      action,
    )
    this.#metadata = result.metadata
    this.#metadataLocation = result.metadataLocation
    return result
  }
}
