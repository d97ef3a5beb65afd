import type { Table } from '@lake/catalog'
import { CommitConflictError } from '@lake/errors'
import type { Row } from './decode.js'
import { hasChanges, schemaChanges } from './schema-evolution.js'

/**
 * Evolves a table's schema so that `rows` fit it: adds the optional columns they need and
 * widens int → long and float → double (see {@link schemaChanges}), in one schema commit.
 *
 * Safe beside other writers evolving the same table: the commit requires the schema it was
 * computed from, and when another schema change landed first the table is reloaded and what the
 * rows need is computed again, so a column another worker already added with the same type is
 * just used. One added with another type is left as it is; validation then refuses the rows
 * that do not fit it. After `retries` such races the `CommitConflictError` is thrown.
 *
 * Returns whether the table's current schema is now another one than when called (changed here
 * or found changed on reload). A value no column type holds is a `ValidationError` naming the
 * field, and nothing is committed.
 */
export async function evolveSchema(
  table: Table,
  rows: readonly Row[],
  options: { retries?: number } = {},
): Promise<boolean> {
  const retries = options.retries ?? 10
  const before = table.schema().schemaId
  for (let attempt = 0; ; attempt++) {
    const changes = schemaChanges(table.schema(), rows)
    if (!hasChanges(changes)) return table.schema().schemaId !== before
    const update = table.updateSchema()
    for (const { path, type } of changes.additions) update.addColumn(path, type)
    for (const { path, to } of changes.widenings) update.updateColumn(path.join('.'), { type: to })
    try {
      await update.commit()
      return true
    } catch (error) {
      if (!(error instanceof CommitConflictError) || attempt >= retries) throw error
      await table.refresh()
    }
  }
}
