import { ValidationError } from '@lake/errors'
import type { TableAction } from './commit.js'

/** Sets and removes table properties; a key may not be both set and removed. */
export function propertiesAction(
  set: Readonly<Record<string, string>>,
  remove: readonly string[],
): TableAction {
  for (const key of remove) {
    if (key in set)
      throw new ValidationError(`Property '${key}' is both set and removed`, { context: { field: key } })
  }
  for (const [key, value] of Object.entries(set)) {
    if (typeof value !== 'string') {
      throw new ValidationError(`Property '${key}' must be a string`, { context: { field: key } })
    }
  }
  const updates = [
    ...(Object.keys(set).length > 0 ? [{ action: 'set-properties' as const, updates: { ...set } }] : []),
    ...(remove.length > 0 ? [{ action: 'remove-properties' as const, removals: [...remove] }] : []),
  ]
  return { build: () => ({ updates, requirements: [] }) }
}
