import { CommitStateUnknownError, isRetryable, withRetry } from '@lake/errors'
import type { CommitResult } from '../catalog/catalog.js'
import { identifierToString, type TableIdentifier } from '../catalog/identifier.js'
import type { TableMetadata } from '../spec/table-metadata.js'
import type { TableRequirement, TableUpdate } from '../spec/table-update.js'
import type { TableOwner } from '../table/table.js'

/** What one attempt of an action asks the catalog to do. */
export interface ActionChanges {
  updates: TableUpdate[]
  requirements: TableRequirement[]
}

/**
 * One table operation (append, delete, schema change, …) as the commit loop drives it, after
 * iceberg-rust's `TransactionAction`: `build` turns the table's current metadata into updates
 * and requirements, and is called again on fresh metadata after every conflict, so a retry
 * re-checks and re-applies instead of blindly resending.
 */
export interface TableAction {
  build(metadata: TableMetadata, attempt: number): Promise<ActionChanges> | ActionChanges
  /**
   * The upload of the files the action adds, when it may still run while the first attempt is
   * built: every attempt waits for it before it commits, and its failure ends the commit, not
   * retried (the files would have to be written again).
   */
  readonly stored?: Promise<void> | undefined
  /**
   * Removes what attempts wrote that is not part of the table: after success, the leftovers of
   * attempts that lost; after failure, everything. Not called when the outcome is unknown.
   */
  cleanup?(committed: CommitResult | undefined): Promise<void>
}

/** Where the commit loop reads and refreshes the table. */
export interface CommitContext {
  owner: TableOwner
  identifier: TableIdentifier
  current(): TableMetadata
  refresh(): Promise<unknown>
}

/**
 * Commits an action with optimistic concurrency: build on the current metadata, ask the
 * catalog to commit, and on a `CommitConflictError` refresh, rebuild and try again, with
 * backoff as the table's `commit.retry.*` properties say (Iceberg's names and defaults).
 * Anything not retryable ends the loop at once, and the table stays at its previous version.
 */
export async function commitAction(context: CommitContext, action: TableAction): Promise<CommitResult> {
  const properties = context.current().properties
  let committed: CommitResult | undefined
  let unknown = false
  /** The error of the action's upload, which no attempt can mend. */
  let notStored: unknown
  const stored = action.stored?.catch((error: unknown) => {
    notStored = error
    throw error
  })
  // An attempt that fails before it waits for the upload leaves nobody else to.
  stored?.catch(() => {})
  try {
    committed = await withRetry(
      async (attempt) => {
        if (attempt > 1) await context.refresh()
        const { updates, requirements } = await action.build(context.current(), attempt)
        await stored
        return context.owner.commitTable(context.identifier, requirements, updates)
      },
      {
        shouldRetry: (error) => error !== notStored && isRetryable(error),
        retries: intProperty(properties, 'commit.retry.num-retries', 4),
        minDelayMs: intProperty(properties, 'commit.retry.min-wait-ms', 100),
        maxDelayMs: intProperty(properties, 'commit.retry.max-wait-ms', 60_000),
        hooks: context.owner.hooks,
        operation: `commit ${identifierToString(context.identifier)}`,
      },
    )
    return committed
  } catch (error) {
    unknown = error instanceof CommitStateUnknownError
    throw error
  } finally {
    if (!unknown) await action.cleanup?.(committed)
  }
}

/** An integer table property, or its default when absent or malformed. */
export function intProperty(
  properties: Readonly<Record<string, string>>,
  key: string,
  fallback: number,
): number {
  const value = Number(properties[key])
  return properties[key] !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : fallback
}
