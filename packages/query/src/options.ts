import { type LakeHooks, ValidationError } from '@lake/errors'
import { z } from 'zod'
import type { QueryDataEncoding } from './result.js'

const text = z.union([z.string(), z.instanceof(Buffer)])

/** The zod schema of a {@link QueryDataEncoding}. */
export const encodingSchema = z.enum(['direct', 'json', 'json+zstd', 'json+lz4', 'auto'])

/** The zod schema of {@link TrinoClientOptions}. */
const optionsSchema = z.strictObject({
  server: z.url({ protocol: /^https?$/ }),
  user: z.string().min(1),
  catalog: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  path: z.string().min(1).optional(),
  timeZone: z.string().min(1).optional(),
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('none') }),
      z.strictObject({ type: z.literal('basic'), user: z.string().min(1), password: z.string() }),
      z.strictObject({ type: z.literal('bearer'), token: z.string().min(1) }),
    ])
    .optional(),
  tls: z
    .strictObject({
      ca: text.optional(),
      cert: text.optional(),
      key: text.optional(),
      passphrase: z.string().optional(),
      rejectUnauthorized: z.boolean().optional(),
      servername: z.string().optional(),
    })
    .optional(),
  sessionProperties: z
    .record(z.string().regex(/^[\w.]+$/), z.union([z.string(), z.number(), z.boolean()]))
    .optional(),
  clientTags: z
    .array(
      z
        .string()
        .min(1)
        .regex(/^[^,]+$/, 'a client tag cannot hold a comma'),
    )
    .optional(),
  source: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  retry: z
    .strictObject({
      retries: z.number().int().min(0).optional(),
      minDelayMs: z.number().min(0).optional(),
      maxDelayMs: z.number().min(0).optional(),
    })
    .optional(),
  hooks: z.custom<Partial<LakeHooks>>((value) => typeof value === 'object' && value !== null).optional(),
  batchRows: z.number().int().positive().optional(),
  encoding: encodingSchema.optional(),
})

/**
 * Options of {@link createTrinoClient}.
 *
 * @example
 * ```ts
 * const client = createTrinoClient({
 *   server: 'https://trino.example.com:8443',
 *   user: 'analyst',
 *   catalog: 'lake',
 *   schema: 'analytics',
 *   auth: { type: 'bearer', token: process.env.TRINO_JWT! },
 *   tls: { ca: readFileSync('ca.pem') },
 *   sessionProperties: { query_max_run_time: '10m' },
 * })
 * ```
 */
export interface TrinoClientOptions {
  /** The coordinator's URL, `http://host:8080` or `https://host:8443`. */
  server: string
  /** The user queries run as (`X-Trino-User`). */
  user: string
  /** The default catalog. */
  catalog?: string
  /** The default schema. */
  schema?: string
  /** The SQL path, e.g. `lake.functions`. */
  path?: string
  /** The session time zone, e.g. `UTC`; the server's when absent. */
  timeZone?: string
  /** How the client authenticates; none by default. Trino accepts passwords and tokens over HTTPS only. */
  auth?:
    | { type: 'none' }
    | { type: 'basic'; user: string; password: string }
    | { type: 'bearer'; token: string }
  /** TLS for `https://` servers: a custom CA, a client certificate, or (for tests) no verification. */
  tls?: {
    /** PEM of the CA(s) that signed the server's certificate. */
    ca?: string | Buffer
    /** PEM of the client certificate, for mutual TLS. */
    cert?: string | Buffer
    /** PEM of the client certificate's key. */
    key?: string | Buffer
    /** Passphrase of `key`. */
    passphrase?: string
    /** Verify the server's certificate. Default true. */
    rejectUnauthorized?: boolean
    /** The name to verify the certificate against, when it differs from the URL's host. */
    servername?: string
  }
  /** Session properties sent with every query, e.g. `{ query_max_memory: '1GB' }`. */
  sessionProperties?: Record<string, string | number | boolean>
  /** Client tags, for resource groups. */
  clientTags?: string[]
  /** The source reported to Trino (`X-Trino-Source`). Default `lake`. */
  source?: string
  /** More HTTP headers sent with every request. */
  headers?: Record<string, string>
  /**
   * Retries of page fetches after transport failures and 502/503/504. A submitted statement is
   * retried only when it provably never reached the server (connection refused).
   */
  retry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number }
  /** Where metrics and logs go. */
  hooks?: Partial<LakeHooks>
  /** Rows per record batch. Default 65 536. */
  batchRows?: number
  /**
   * How Trino sends the rows of queries: the direct protocol or the spooling protocol in one of
   * its encodings; see {@link QueryDataEncoding}. Default `direct`. A query's `encoding` overrides it.
   */
  encoding?: QueryDataEncoding
}

/** Validates client options at the boundary; a ValidationError names every problem. */
export function parseOptions(options: TrinoClientOptions): TrinoClientOptions {
  const result = optionsSchema.safeParse(options)
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`,
    )
    throw new ValidationError(`Invalid Trino client options: ${problems.join('; ')}`, {
      cause: result.error,
      context: { field: result.error.issues[0]?.path.join('.') },
    })
  }
  return result.data as TrinoClientOptions
}
