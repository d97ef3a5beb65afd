/**
 * The content of a manifest: data and delete files with their partition values and metrics,
 * named as in the spec's "Manifests" section. Pure data; (de)serialisation lives in `manifest.ts`.
 *
 * @module
 */

/** What a file in a manifest holds (`content` field of `data_file`). */
export const DataFileContent = { DATA: 0, POSITION_DELETES: 1, EQUALITY_DELETES: 2 } as const
/** One of {@link DataFileContent}. */
export type DataFileContent = (typeof DataFileContent)[keyof typeof DataFileContent]

/** Status of a manifest entry. */
export const ManifestEntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const
/** One of {@link ManifestEntryStatus}. */
export type ManifestEntryStatus = (typeof ManifestEntryStatus)[keyof typeof ManifestEntryStatus]

/** What a manifest tracks (`content` of `manifest_file`). */
export const ManifestContent = { DATA: 0, DELETES: 1 } as const
/** One of {@link ManifestContent}. */
export type ManifestContent = (typeof ManifestContent)[keyof typeof ManifestContent]

/** A data or delete file as the spec's `data_file` struct describes it. */
export interface DataFile {
  content: DataFileContent
  /** Full URI of the file. */
  filePath: string
  /** `PARQUET`, `AVRO` or `ORC`. */
  fileFormat: 'PARQUET' | 'AVRO' | 'ORC'
  /**
   * Partition values as internal values (see `types.ts`), in the order of the fields of the
   * partition spec the file was written with; `null` for a null partition value.
   */
  partition: readonly unknown[]
  /** Id of the partition spec the file was written with. */
  specId: number
  recordCount: bigint
  fileSizeInBytes: bigint
  /** Bytes per column, by field id. */
  columnSizes?: Map<number, bigint>
  /** Values (nulls and NaNs included) per column, by field id. */
  valueCounts?: Map<number, bigint>
  nullValueCounts?: Map<number, bigint>
  nanValueCounts?: Map<number, bigint>
  /** Lower bounds in the single-value binary serialisation, by field id. */
  lowerBounds?: Map<number, Uint8Array>
  upperBounds?: Map<number, Uint8Array>
  keyMetadata?: Uint8Array
  splitOffsets?: bigint[]
  /** Field ids used by equality delete files. */
  equalityIds?: number[]
  sortOrderId?: number
}

/** An entry of a manifest: a file plus the snapshot and sequence numbers it was added with. */
export interface ManifestEntry {
  status: ManifestEntryStatus
  /** Snapshot that added (or deleted) the file; inherited from the manifest when null. */
  snapshotId: bigint | null
  /** Data sequence number; inherited when null. */
  sequenceNumber: bigint | null
  /** File sequence number; inherited when null. */
  fileSequenceNumber: bigint | null
  dataFile: DataFile
}

/** Summary of one partition field across all files of a manifest (`field_summary`). */
export interface PartitionFieldSummary {
  containsNull: boolean
  containsNaN?: boolean
  /** Single-value binary serialisation of the lowest non-null value. */
  lowerBound?: Uint8Array
  upperBound?: Uint8Array
}

/** An entry of a manifest list (`manifest_file`). */
export interface ManifestFile {
  manifestPath: string
  manifestLength: bigint
  partitionSpecId: number
  content: ManifestContent
  sequenceNumber: bigint
  minSequenceNumber: bigint
  addedSnapshotId: bigint
  addedFilesCount: number
  existingFilesCount: number
  deletedFilesCount: number
  addedRowsCount: bigint
  existingRowsCount: bigint
  deletedRowsCount: bigint
  partitions?: PartitionFieldSummary[]
  keyMetadata?: Uint8Array
}
