import { ValidationError } from '@lake/errors'

/** A namespace: one or more levels, e.g. `['analytics', 'events']`. */
export type Namespace = readonly string[]

/** A table's name within its namespace. */
export interface TableIdentifier {
  readonly namespace: Namespace
  readonly name: string
}

/** What callers may pass for a namespace: `'a.b'` or `['a', 'b']`. */
export type NamespaceInput = string | readonly string[]

/** What callers may pass for a table: `'db.events'`, `['db', 'events']` or a {@link TableIdentifier}. */
export type TableIdentifierInput = string | readonly string[] | TableIdentifier

// Control characters (C0, DEL, C1) never belong in a name that becomes a path segment.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Checks one level of a namespace or a table name. These become directory names, so a name
 * that is empty, `.` or `..`, or holds `/`, `\` or a control character never reaches storage.
 */
export function validateNamePart(part: unknown, what: string): string {
  if (typeof part !== 'string' || part.length === 0) {
    throw new ValidationError(`${what} must be a non-empty string`, { context: { identifier: String(part) } })
  }
  const reason =
    part === '.' || part === '..'
      ? `may not be '${part}'`
      : part.includes('/') || part.includes('\\')
        ? 'may not contain a slash'
        : CONTROL.test(part)
          ? 'may not contain control characters'
          : part.trim() !== part
            ? 'may not start or end with white space'
            : undefined
  if (reason) {
    throw new ValidationError(`${what} ${JSON.stringify(part)} ${reason}`, { context: { identifier: part } })
  }
  return part
}

/** Parses and validates a namespace. A string is split on dots. */
export function parseNamespace(input: NamespaceInput): Namespace {
  const parts = typeof input === 'string' ? input.split('.') : input
  if (!Array.isArray(parts) && typeof input !== 'string') {
    throw new ValidationError('A namespace must be a string or an array of strings', {
      context: { identifier: String(input) },
    })
  }
  if (parts.length === 0) throw new ValidationError('A namespace needs at least one level', { context: {} })
  return Object.freeze(parts.map((p) => validateNamePart(p, 'Namespace level')))
}

/** Parses and validates a table identifier. A string is split on dots; the last part is the table. */
export function parseTableIdentifier(input: TableIdentifierInput): TableIdentifier {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const { namespace, name } = input as TableIdentifier
    return Object.freeze({ namespace: parseNamespace(namespace), name: validateNamePart(name, 'Table name') })
  }
  const parts = typeof input === 'string' ? input.split('.') : (input as readonly string[])
  if (!Array.isArray(parts) || parts.length < 2) {
    throw new ValidationError(
      `A table identifier needs a namespace and a name, got ${JSON.stringify(input)}`,
      {
        context: { identifier: String(input) },
      },
    )
  }
  return Object.freeze({
    namespace: parseNamespace(parts.slice(0, -1)),
    name: validateNamePart(parts[parts.length - 1], 'Table name'),
  })
}

/** The dotted form, `db.events`, for messages and error context. */
export function identifierToString(id: TableIdentifier | Namespace): string {
  return 'name' in id ? [...id.namespace, id.name].join('.') : id.join('.')
}
