import { randomBytes, randomUUID } from 'node:crypto'
import type { CommitResult } from '../catalog/catalog.js'
import { joinLocation } from '../io/file-io.js'
import {
  type DataFile,
  ManifestContent,
  type ManifestEntry,
  ManifestEntryStatus,
  type ManifestFile,
} from '../spec/data-file.js'
import { inheritFromManifest, readManifest, toManifestFile, writeManifest } from '../spec/manifest.js'
import { readManifestList, writeManifestList } from '../spec/manifest-list.js'
import { partitionType } from '../spec/partition-spec.js'
import { type Snapshot, type SnapshotOperation, updateSnapshotSummary } from '../spec/snapshot.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import type { Table } from '../table/table.js'
import type { ActionChanges, TableAction } from './commit.js'

/** What one snapshot changes, computed against the metadata an attempt builds on. */
export interface SnapshotChanges {
  operation: SnapshotOperation
  /** New data files, each with its spec id and partition filled in. */
  added: readonly DataFile[]
  /** Paths of live data files of the parent snapshot that this snapshot removes. */
  removed: ReadonlySet<string>
  /** Extra summary properties, e.g. Kafka offsets committed with the data. */
  summary?: Readonly<Record<string, string>>
}

/** A manifest being written: what the manifest list says of it, and its upload. */
interface ManifestWrite {
  manifest: ManifestFile
  written: Promise<void>
}

/**
 * Per table object, the manifest list its last snapshot committed, as written: the next
 * snapshot's parent, whose manifests it carries over without reading the file back (a manifest
 * list is never rewritten, so its bytes are what a read would return).
 */
const committedLists = new WeakMap<Table, { manifestList: string; bytes: Uint8Array }>()

/**
 * A new snapshot as a {@link TableAction}: writes the manifest of added files once, and on each
 * attempt the manifests that mark removed files deleted and a manifest list over the parent
 * snapshot's manifests (Iceberg's "fast append" plus copy-on-write deletes). Every attempt
 * requires that `main` still points at the parent it built on, so a concurrent commit makes
 * it rebuild on the new parent rather than overwrite it. An attempt's manifests and manifest
 * list are uploaded at once, and while the data files' uploads ({@link SnapshotProducer.stored})
 * still run.
 */
export class SnapshotProducer implements TableAction {
  readonly snapshotId = newSnapshotId()
  readonly #table: Table
  readonly #changes: (metadata: TableMetadata) => Promise<SnapshotChanges> | SnapshotChanges
  readonly #commitUuid = randomUUID()
  /** Per attempt, the files it wrote or reused that its snapshot references, and its manifest list's bytes. */
  readonly #attempts = new Map<number, { manifestList: string; files: string[]; listBytes: Uint8Array }>()
  /** The manifest of added files, written on the first attempt and reused after (unless its upload failed). */
  readonly #addedManifests = new Map<string, ManifestWrite>()
  #manifestCount = 0
  /** Data files written for this snapshot by its action; those no committed attempt uses are removed. */
  readonly dataFiles: string[] = []
  /** The uploads of {@link SnapshotProducer.dataFiles} when they may still run (see `TableAction.stored`). */
  stored: Promise<void> | undefined
  /**
   * Summary properties the caller adds, computed on each attempt from the metadata it builds
   * on; throwing ends the commit like any failed attempt (see `AppendOptions.summary`).
   */
  extraSummary: ((base: TableMetadata) => Readonly<Record<string, string>>) | undefined
  /**
   * The schema the data was validated against, when the commit must fail if the table's
   * current schema is another one by then (the catalog would otherwise apply it on top).
   */
  requiredSchemaId: number | undefined

  constructor(
    table: Table,
    changes: (metadata: TableMetadata) => Promise<SnapshotChanges> | SnapshotChanges,
  ) {
    this.#table = table
    this.#changes = changes
  }

  async build(metadata: TableMetadata, attempt: number): Promise<ActionChanges> {
    const changes = await this.#changes(metadata)
    const extra = { ...changes.summary, ...this.extraSummary?.(metadata) }
    const parent = metadata.currentSnapshot()
    // Format v1 has no sequence numbers: every snapshot's is 0, as the spec says.
    const sequenceNumber = metadata.formatVersion === 1 ? 0n : metadata.lastSequenceNumber + 1n
    const written: string[] = changes.added.map((f) => f.filePath)
    // The attempt's manifests and manifest list upload at once; it is built when all have
    // landed, and fails, once they have all settled, if one did not.
    const uploads: Promise<void>[] = []
    let manifestList: string
    const removedFiles: DataFile[] = []
    try {
      const manifests: ManifestFile[] = []
      const add = (write: ManifestWrite) => {
        uploads.push(write.written)
        manifests.push(write.manifest)
        written.push(write.manifest.manifestPath)
      }
      for (const write of this.#manifestsOfAdded(metadata, changes.added)) add(write)
      if (parent) {
        for (const manifest of await this.#manifestsOf(parent)) {
          const rewritten =
            changes.removed.size === 0 || manifest.content !== ManifestContent.DATA
              ? undefined
              : await this.#rewriteWithoutRemoved(metadata, manifest, changes.removed, removedFiles)
          if (rewritten) add(rewritten)
          else manifests.push(manifest)
        }
      }
      manifestList = joinLocation(
        metadata.location,
        'metadata',
        `snap-${this.snapshotId}-${attempt}-${this.#commitUuid}.avro`,
      )
      const listBytes = writeManifestList({
        manifests,
        snapshotId: this.snapshotId,
        parentSnapshotId: parent?.snapshotId ?? null,
        sequenceNumber,
        formatVersion: metadata.formatVersion,
      })
      written.push(manifestList)
      this.#attempts.set(attempt, { manifestList, files: written, listBytes })
      uploads.push(this.#table.io.write(manifestList, listBytes))
    } catch (error) {
      await Promise.allSettled(uploads)
      throw error
    }
    await allUploaded(uploads)

    const snapshot: Snapshot = {
      snapshotId: this.snapshotId,
      ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
      sequenceNumber,
      timestampMs: Math.max(Date.now(), metadata.lastUpdatedMs),
      manifestList,
      summary: updateSnapshotSummary(parent?.summary, {
        operation: changes.operation,
        added: changes.added,
        removed: removedFiles,
        extra,
      }),
      schemaId: metadata.currentSchemaId,
    }
    return {
      updates: [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': this.snapshotId },
      ],
      requirements: [
        { type: 'assert-table-uuid', uuid: metadata.tableUuid },
        { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent?.snapshotId ?? null },
        ...(this.requiredSchemaId === undefined
          ? []
          : [{ type: 'assert-current-schema-id' as const, 'current-schema-id': this.requiredSchemaId }]),
      ],
    }
  }

  async cleanup(committed: CommitResult | undefined): Promise<void> {
    // Nothing is removed while an upload of it may still run, and recreate it after.
    await this.stored?.catch(() => {})
    await Promise.allSettled([...this.#addedManifests.values()].map((m) => m.written))
    const manifestList = committed?.metadata.snapshotById(this.snapshotId)?.manifestList
    const landed = [...this.#attempts.values()].find((a) => a.manifestList === manifestList)
    if (landed)
      committedLists.set(this.#table, { manifestList: landed.manifestList, bytes: landed.listBytes })
    const keep = new Set(landed?.files)
    const everything = new Set([
      ...this.dataFiles,
      ...[...this.#addedManifests.values()].map((m) => m.manifest.manifestPath),
      ...[...this.#attempts.values()].flatMap((a) => a.files),
    ])
    const orphans = [...everything].filter((f) => !keep.has(f))
    await Promise.all(orphans.map((f) => this.#table.io.delete(f).catch(() => {})))
  }

  /** The manifests of `parent`'s manifest list: as this table object committed it, else read. */
  async #manifestsOf(parent: Snapshot): Promise<readonly ManifestFile[]> {
    const committed = committedLists.get(this.#table)
    const bytes =
      committed?.manifestList === parent.manifestList
        ? committed.bytes
        : await this.#table.io.read(parent.manifestList)
    return readManifestList(bytes, { file: parent.manifestList }).manifests
  }

  /**
   * One manifest per partition spec among the added files, written once for all attempts: a
   * later attempt reuses it, unless its upload failed, when it is written again.
   */
  #manifestsOfAdded(metadata: TableMetadata, added: readonly DataFile[]): ManifestWrite[] {
    const bySpec = new Map<number, DataFile[]>()
    for (const file of added) bySpec.set(file.specId, [...(bySpec.get(file.specId) ?? []), file])
    const out: ManifestWrite[] = []
    for (const [specId, files] of bySpec) {
      const key = `${specId}:${files.map((f) => f.filePath).join('\n')}`
      let write = this.#addedManifests.get(key)
      if (!write) {
        const entries: ManifestEntry[] = files.map((dataFile) => ({
          status: ManifestEntryStatus.ADDED,
          snapshotId: this.snapshotId,
          sequenceNumber: null,
          fileSequenceNumber: null,
          dataFile,
        }))
        const fresh = this.#writeManifest(metadata, specId, entries)
        fresh.written.catch(() => {
          if (this.#addedManifests.get(key) === fresh) this.#addedManifests.delete(key)
        })
        this.#addedManifests.set(key, fresh)
        write = fresh
      }
      out.push(write)
    }
    return out
  }

  /** A copy of `manifest` with the removed files marked deleted, or undefined if it has none. */
  async #rewriteWithoutRemoved(
    metadata: TableMetadata,
    manifest: ManifestFile,
    removed: ReadonlySet<string>,
    removedFiles: DataFile[],
  ): Promise<ManifestWrite | undefined> {
    const { entries } = readManifest(await this.#table.io.read(manifest.manifestPath), {
      file: manifest.manifestPath,
      manifestLength: manifest.manifestLength,
    })
    if (!entries.some((e) => e.status !== ManifestEntryStatus.DELETED && removed.has(e.dataFile.filePath))) {
      return undefined
    }
    const rewritten: ManifestEntry[] = []
    for (const original of entries) {
      if (original.status === ManifestEntryStatus.DELETED) continue
      // Inherited values must be written out now that the entry moves to a new manifest.
      const entry = inheritFromManifest(original, manifest)
      const isRemoved = removed.has(entry.dataFile.filePath)
      if (isRemoved) removedFiles.push(entry.dataFile)
      rewritten.push(
        isRemoved
          ? { ...entry, status: ManifestEntryStatus.DELETED, snapshotId: this.snapshotId }
          : { ...entry, status: ManifestEntryStatus.EXISTING },
      )
    }
    return this.#writeManifest(metadata, manifest.partitionSpecId, rewritten)
  }

  /** Encodes a manifest and starts its upload. */
  #writeManifest(metadata: TableMetadata, specId: number, entries: ManifestEntry[]): ManifestWrite {
    const spec = metadata.specById(specId)!
    const schema = metadata.currentSchema()
    const type = partitionType(spec, schema)
    const bytes = writeManifest({
      entries,
      schema,
      spec,
      partitionType: type,
      formatVersion: metadata.formatVersion,
      content: ManifestContent.DATA,
      snapshotId: this.snapshotId,
    })
    const manifestPath = joinLocation(
      metadata.location,
      'metadata',
      `${this.#commitUuid}-m${this.#manifestCount++}.avro`,
    )
    const written = this.#table.io.write(manifestPath, bytes)
    // Whoever builds with it waits for the upload; an attempt that fails first must not leave
    // its rejection unhandled.
    written.catch(() => {})
    // Sequence numbers stay unassigned where entries inherit them: the manifest list gives
    // them the snapshot's number, so a manifest of new files serves every attempt unchanged.
    const manifest = toManifestFile({
      manifestPath,
      manifestLength: BigInt(bytes.byteLength),
      entries,
      spec,
      partitionType: type,
      content: ManifestContent.DATA,
      snapshotId: this.snapshotId,
    })
    return { manifest, written }
  }
}

/** Resolves when every upload succeeded; once all have settled, rejects with the first failure. */
async function allUploaded(uploads: readonly Promise<void>[]): Promise<void> {
  for (const result of await Promise.allSettled(uploads))
    if (result.status === 'rejected') throw result.reason
}

/** A random positive 63-bit snapshot id, as Iceberg Java makes them. */
export function newSnapshotId(): bigint {
  return randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn
}
