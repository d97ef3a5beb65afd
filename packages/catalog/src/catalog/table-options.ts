import { ValidationError } from '@lake/errors'
import { z } from 'zod'

/** One partition field of a new table or spec: a source column and a transform. */
export interface PartitionByField {
  /** The source column, dotted for nested columns. */
  source: string
  /** `identity`, `bucket[N]`, `truncate[W]`, `year`, `month`, `day`, `hour` or `void`. */
  transform: string
  /** The partition field's name; defaults as Java names them (`ts_day`, `id_bucket_16`). */
  name?: string
}

/** One field of a sort order. */
export interface SortByField {
  source: string
  transform?: string
  direction?: 'asc' | 'desc'
  nullOrder?: 'nulls-first' | 'nulls-last'
}

const partitionField = z.strictObject({
  source: z.string().min(1),
  transform: z.string().min(1),
  name: z.string().min(1).optional(),
})

const sortField = z.strictObject({
  source: z.string().min(1),
  transform: z.string().min(1).optional(),
  direction: z.enum(['asc', 'desc']).optional(),
  nullOrder: z.enum(['nulls-first', 'nulls-last']).optional(),
})

/** The zod schema of the options of `createTable`, minus the schema object itself. */
export const createTableOptionsSchema = z.strictObject({
  schema: z.custom<object>((v) => typeof v === 'object' && v !== null, 'a Schema or a typed schema'),
  partitionBy: z.array(partitionField).optional(),
  sortBy: z.array(sortField).optional(),
  properties: z.record(z.string(), z.string()).optional(),
})

/**
 * Validates options with a zod schema and turns the first issue into a `ValidationError`
 * whose `field` is the dotted path of the offending option.
 */
export function parseOptions<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const field = issue.path.map(String).join('.')
  throw new ValidationError(`Invalid ${what}${field ? ` '${field}'` : ''}: ${issue.message}`, {
    context: { field: field || what },
  })
}
