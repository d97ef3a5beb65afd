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

/**
 * A new snapshot as a {@link TableAction}: writes the manifest of added files once, and on each
 * attempt the manifests that mark removed files deleted and a manifest list over the parent
 * snapshot's manifests (Iceberg's "fast append" plus copy-on-write deletes). Every attempt
 * requires that `main` still points at the parent it built on, so a concurrent commit makes
 * it rebuild on the new parent rather than overwrite it.
 */
export class SnapshotProducer implements TableAction {
  readonly snapshotId = newSnapshotId()
  readonly #table: Table
  readonly #changes: (metadata: TableMetadata) => Promise<SnapshotChanges> | SnapshotChanges
  readonly #commitUuid = randomUUID()
  /** Per attempt, the files it wrote or reused that its snapshot references. */
  readonly #attempts = new Map<number, { manifestList: string; files: string[] }>()
  /** The manifest of added files, written on the first attempt and reused after. */
  #addedManifests = new Map<string, ManifestFile>()
  #manifestCount = 0
  /** Data files written for this snapshot by its action; those no committed attempt uses are removed. */
  readonly dataFiles: string[] = []
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

    const manifests: ManifestFile[] = []
    for (const manifest of await this.#manifestsOfAdded(metadata, changes.added)) {
      manifests.push(manifest)
      written.push(manifest.manifestPath)
    }
    const removedFiles: DataFile[] = []
    if (parent) {
      const list = readManifestList(await this.#table.io.read(parent.manifestList), {
        file: parent.manifestList,
      })
      for (const manifest of list.manifests) {
        if (changes.removed.size === 0 || manifest.content !== ManifestContent.DATA) {
          manifests.push(manifest)
          continue
        }
        const rewritten = await this.#rewriteWithoutRemoved(metadata, manifest, changes.removed, removedFiles)
        if (rewritten) {
          written.push(rewritten.manifestPath)
          manifests.push(rewritten)
        } else {
          manifests.push(manifest)
        }
      }
    }

    const manifestList = joinLocation(
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
    this.#attempts.set(attempt, { manifestList, files: written })
    await this.#table.io.write(manifestList, listBytes)

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
    const manifestList = committed?.metadata.snapshotById(this.snapshotId)?.manifestList
    const keep = new Set(
      [...this.#attempts.values()].filter((a) => a.manifestList === manifestList).flatMap((a) => a.files),
    )
    const everything = new Set([
      ...this.dataFiles,
      ...[...this.#addedManifests.values()].map((m) => m.manifestPath),
      ...[...this.#attempts.values()].flatMap((a) => a.files),
    ])
    const orphans = [...everything].filter((f) => !keep.has(f))
    await Promise.all(orphans.map((f) => this.#table.io.delete(f).catch(() => {})))
  }

  /** One manifest per partition spec among the added files, written once for all attempts. */
  async #manifestsOfAdded(metadata: TableMetadata, added: readonly DataFile[]): Promise<ManifestFile[]> {
    const bySpec = new Map<number, DataFile[]>()
    for (const file of added) bySpec.set(file.specId, [...(bySpec.get(file.specId) ?? []), file])
    const out: ManifestFile[] = []
    for (const [specId, files] of bySpec) {
      const key = `${specId}:${files.map((f) => f.filePath).join('\n')}`
      let manifest = this.#addedManifests.get(key)
      if (!manifest) {
        const entries: ManifestEntry[] = files.map((dataFile) => ({
          status: ManifestEntryStatus.ADDED,
          snapshotId: this.snapshotId,
          sequenceNumber: null,
          fileSequenceNumber: null,
          dataFile,
        }))
        manifest = await this.#writeManifest(metadata, specId, entries)
        this.#addedManifests.set(key, manifest)
      }
      out.push(manifest)
    }
    return out
  }

  /** A copy of `manifest` with the removed files marked deleted, or undefined if it has none. */
  async #rewriteWithoutRemoved(
    metadata: TableMetadata,
    manifest: ManifestFile,
    removed: ReadonlySet<string>,
    removedFiles: DataFile[],
  ): Promise<ManifestFile | undefined> {
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

  async #writeManifest(
    metadata: TableMetadata,
    specId: number,
    entries: ManifestEntry[],
  ): Promise<ManifestFile> {
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
    await this.#table.io.write(manifestPath, bytes)
    // Sequence numbers stay unassigned where entries inherit them: the manifest list gives
    // them the snapshot's number, so a manifest of new files serves every attempt unchanged.
    return toManifestFile({
      manifestPath,
      manifestLength: BigInt(bytes.byteLength),
      entries,
      spec,
      partitionType: type,
      content: ManifestContent.DATA,
      snapshotId: this.snapshotId,
    })
  }
}

/** A random positive 63-bit snapshot id, as Iceberg Java makes them. */
export function newSnapshotId(): bigint {
  return randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn
}
