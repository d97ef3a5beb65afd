import { NotFoundError, ValidationError } from '@lake/errors'
import type { Snapshot } from '../spec/snapshot.js'
import type { TableMetadata } from '../spec/table-metadata.js'

/**
 * How a reader names a snapshot: its id, a point in time (the snapshot that was current
 * then, from the snapshot log), or a branch or tag name.
 */
export type SnapshotSelector = { snapshotId: bigint } | { asOfTimestamp: number | Date } | { ref: string }

/** Resolves a {@link SnapshotSelector}; `NotFoundError` names what was asked for. */
export function selectSnapshot(metadata: TableMetadata, selector: SnapshotSelector, table: string): Snapshot {
  if ('snapshotId' in selector) {
    const snapshot = metadata.snapshotById(BigInt(selector.snapshotId))
    if (!snapshot) {
      throw new NotFoundError(`Table ${table} has no snapshot ${selector.snapshotId}`, {
        context: { table, snapshotId: String(selector.snapshotId) },
      })
    }
    return snapshot
  }
  if ('ref' in selector) {
    const snapshot = metadata.snapshotByRef(selector.ref)
    if (!snapshot) {
      throw new NotFoundError(`Table ${table} has no branch or tag '${selector.ref}'`, {
        context: { table, ref: selector.ref },
      })
    }
    return snapshot
  }
  if ('asOfTimestamp' in selector) {
    const ms =
      selector.asOfTimestamp instanceof Date ? selector.asOfTimestamp.getTime() : selector.asOfTimestamp
    if (!Number.isFinite(ms)) {
      throw new ValidationError('asOfTimestamp must be a valid time', {
        context: { table, field: 'asOfTimestamp' },
      })
    }
    // The last snapshot-log entry at or before the time: what a reader saw as current then.
    let found: bigint | undefined
    for (const entry of metadata.snapshotLog) if (entry.timestampMs <= ms) found = entry.snapshotId
    const snapshot = found === undefined ? undefined : metadata.snapshotById(found)
    if (!snapshot) {
      throw new NotFoundError(`Table ${table} had no snapshot at ${new Date(ms).toISOString()}`, {
        context: { table, asOfTimestamp: ms },
      })
    }
    return snapshot
  }
  throw new ValidationError('Select a snapshot by snapshotId, asOfTimestamp or ref', { context: { table } })
}
