import type { IncomingMessage, ServerResponse } from 'node:http'
import { type LakeHooks, noopHooks, resolveHooks, ValidationError } from '@lake/errors'
import { z } from 'zod'
import type { Catalog } from '../catalog/catalog.js'
import {
  identifierToString,
  type Namespace,
  parseTableIdentifier,
  type TableIdentifier,
} from '../catalog/identifier.js'
import { parseOptions } from '../catalog/table-options.js'
import { type JsonValue, stringifyMetadataJson } from '../spec/snapshot.js'
import { tableRequirementFromJson, tableUpdateFromJson } from '../spec/table-update.js'
import { badRequest, parseRequest, RestError, type Subject, toRestError } from './errors.js'
import {
  asObject,
  authenticate,
  booleanParam,
  decodeSegment,
  identifierFromJson,
  namespaceFromJson,
  namespaceFromPath,
  readJsonBody,
  stringMapFromJson,
} from './request.js'
import {
  commitTableResponse,
  createTableOptions,
  createTableRequestFromJson,
  defaultTableLocation,
  loadTableResult,
  type SnapshotsMode,
  sameLocation,
  stagedMetadata,
} from './tables.js'

/** Options of {@link createRestCatalogHandler} (and of `serveRestCatalog`). */
export interface RestCatalogOptions {
  /**
   * A path segment every catalog route is under, `/v1/{prefix}/…`, sent to clients in the
   * `prefix` override of `GET /v1/config`. Default: none, `/v1/namespaces`.
   */
  prefix?: string
  /**
   * The warehouse this endpoint serves. A client asking `GET /v1/config?warehouse=…` for another
   * is refused with 400; without it, any warehouse a client names is this one.
   */
  warehouse?: string
  /** A static bearer token every request must carry. */
  token?: string
  /**
   * Decides whether a request's bearer token may be served; `false` (or a throw) is 403. With a
   * verifier, a request without a token is 401, as it is with `token`.
   */
  verify?: (token: string, req: IncomingMessage) => boolean | Promise<boolean>
  /** The largest request body accepted, in bytes; larger ones are 413. Default 16 MiB. */
  maxBodyBytes?: number
  /** Catalog properties clients apply before their own configuration. */
  defaults?: Record<string, string>
  /** Catalog properties that override the clients' configuration. */
  overrides?: Record<string, string>
  /** The `config` of every loaded table, e.g. FileIO settings for the client. */
  tableConfig?: Record<string, string>
  /** The clock of staged tables' `last-updated-ms`; tests pass a fixed one. */
  now?: () => number
}

/** A Node `http` request handler: `http.createServer(handler)`, or a route of any framework. */
export type RestCatalogHandler = (req: IncomingMessage, res: ServerResponse) => void

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024

const stringRecord = z.record(z.string(), z.string())

const optionsSchema = z.strictObject({
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9._~-]+$/, 'a single URL-safe path segment')
    .refine((p) => p !== '.' && p !== '..', 'not . or ..')
    .optional(),
  warehouse: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  verify: z.custom<RestCatalogOptions['verify']>((v) => typeof v === 'function').optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  defaults: stringRecord.optional(),
  overrides: stringRecord.optional(),
  tableConfig: stringRecord.optional(),
  now: z.custom<() => number>((v) => typeof v === 'function').optional(),
})

/** What a route's operation is given. */
interface Call {
  readonly req: IncomingMessage
  readonly query: URLSearchParams
  readonly namespace: Namespace
  readonly table: TableIdentifier
  body(): Promise<JsonValue>
}

/** What an operation answers: a JSON body with 200, or no body (204 unless given). */
type Reply = { status: 200; body: JsonValue } | { status: 204 | 404 }

interface Route {
  readonly method: string
  readonly path: readonly string[]
  readonly operation: string
  readonly subject: Subject
  /** Listed in `endpoints` of the config: false for what this endpoint refuses. */
  readonly advertised: boolean
  run(call: Call): Promise<Reply>
}

/**
 * An Iceberg REST catalog over any {@link Catalog}, as a Node `http` request handler: the routes
 * of the Iceberg REST Catalog OpenAPI spec (config, namespaces, tables, commits, rename and
 * metrics reports), its error model, and bearer-token authentication. Commits go through the
 * catalog's own `commitTable`, so a REST client and the SDK race for a table on equal terms.
 *
 * @example
 * ```ts
 * const catalog = new HadoopCatalog({ warehouse: 'hdfs://namenode:8020/warehouse' })
 * http.createServer(createRestCatalogHandler(catalog, { token: process.env.LAKE_TOKEN })).listen(8181)
 * ```
 */
export function createRestCatalogHandler(
  catalog: Catalog,
  options: RestCatalogOptions = {},
): RestCatalogHandler {
  const service = new RestCatalogService(
    catalog,
    parseOptions(optionsSchema, options, 'REST catalog options'),
  )
  return (req, res) => {
    // Nothing a request does may take the server down: a failure past the error answer (a
    // throwing hook, say) ends this response and no other.
    service.handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500
        res.end()
      } else if (!res.writableEnded) res.destroy()
    })
  }
}

class RestCatalogService {
  readonly #catalog: Catalog
  readonly #options: RestCatalogOptions
  readonly #hooks: LakeHooks
  readonly #routes: readonly Route[]
  readonly #endpoints: readonly string[]

  constructor(catalog: Catalog, options: RestCatalogOptions) {
    this.#catalog = catalog
    this.#options = options
    const hooks = (catalog as { hooks?: Partial<LakeHooks> }).hooks
    this.#hooks = typeof hooks === 'object' && hooks !== null ? resolveHooks(hooks) : noopHooks
    this.#routes = this.#defineRoutes()
    this.#endpoints = this.#routes
      .filter((r) => r.advertised)
      .map((r) => `${r.method} /v1/{prefix}/${r.path.join('/')}`)
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    let operation = 'unknown'
    let status = 500
    try {
      await authenticate(req, this.#options)
      const { route, segments, query } = this.#match(req)
      operation = route.operation
      const reply = await this.#run(route, req, segments, query)
      status = reply.status
      if (reply.status === 200) sendJson(req, res, 200, reply.body)
      else sendEmpty(res, reply.status)
    } catch (error) {
      const restError = toRestError(error, this.#subjectOf(operation))
      status = restError.status
      if (status >= 500) {
        this.#hooks.log({
          level: 'error',
          event: 'rest.request.failed',
          message: `${req.method} ${operation} failed: ${restError.message}`,
          fields: { operation, status, error },
        })
      }
      if (!res.headersSent) sendJson(req, res, status, restError.toJSON(), restError.headers)
      else res.destroy()
    } finally {
      const tags = { catalog: this.#catalog.name, operation, status }
      this.#hooks.counter('lake.rest.requests', 1, tags)
      this.#hooks.histogram('lake.rest.request.duration_ms', performance.now() - started, tags)
    }
  }

  #subjectOf(operation: string): Subject {
    return this.#routes.find((r) => r.operation === operation)?.subject ?? 'catalog'
  }

  /**
   * Finds the route of a request. The path is split on `/` before any decoding, so an encoded
   * slash stays inside its segment (and is then refused in a name), and nothing is resolved
   * as `..` the way a URL parser would.
   */
  #match(req: IncomingMessage): { route: Route; segments: string[]; query: URLSearchParams } {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1))
    const parts = (q < 0 ? raw : raw.slice(0, q)).split('/')
    if (parts[0] !== '' || parts[1] !== 'v1') throw noRoute(raw)
    let segments = parts.slice(2)
    const prefix = this.#options.prefix
    if (!(segments.length === 1 && segments[0] === 'config') && prefix !== undefined) {
      if (segments[0] === undefined || decodeSegment(segments[0]) !== prefix) throw noRoute(raw)
      segments = segments.slice(1)
    }
    const candidates = this.#routes.filter(
      (r) =>
        r.path.length === segments.length && r.path.every((p, i) => p.startsWith('{') || p === segments[i]),
    )
    if (candidates.length === 0) throw noRoute(raw)
    const method = req.method === 'HEAD' ? 'HEAD' : (req.method ?? 'GET')
    const route = candidates.find((r) => r.method === method)
    if (!route) {
      const allow = [...new Set(candidates.map((r) => r.method))].join(', ')
      throw new RestError(405, 'MethodNotAllowedException', `${method} is not allowed here`, { allow })
    }
    return { route, segments, query }
  }

  async #run(route: Route, req: IncomingMessage, segments: string[], query: URLSearchParams): Promise<Reply> {
    const at = (name: string) => {
      const index = route.path.indexOf(name)
      return index < 0 ? undefined : decodeSegment(segments[index]!)
    }
    const namespaceText = at('{namespace}')
    const namespace = namespaceText === undefined ? [] : namespaceFromPath(namespaceText)
    const tableName = at('{table}')
    const table =
      tableName === undefined ? { namespace, name: '' } : parseTableIdentifier({ namespace, name: tableName })
    const limit = this.#options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    return route.run({ req, query, namespace, table, body: () => readJsonBody(req, limit) })
  }

  // ------------------------------------------------------------------------------ routes

  #defineRoutes(): Route[] {
    const catalog = this.#catalog
    const ns = ['namespaces', '{namespace}']
    const tbl = [...ns, 'tables', '{table}']
    const route = (
      method: string,
      path: string[],
      operation: string,
      subject: Subject,
      run: (call: Call) => Promise<Reply>,
      advertised = true,
    ): Route => ({ method, path, operation, subject, run, advertised })
    return [
      route('GET', ['config'], 'getConfig', 'catalog', (call) => this.#config(call), false),
      route('GET', ['namespaces'], 'listNamespaces', 'namespace', async ({ query }) => {
        const parent = query.get('parent')
        const namespaces = await catalog.listNamespaces(parent ? namespaceFromPath(parent) : undefined)
        return ok({ namespaces: namespaces.map((n) => [...n]) })
      }),
      route('POST', ['namespaces'], 'createNamespace', 'namespace', async (call) => {
        const body = asObject(await call.body(), 'The request')
        const namespace = namespaceFromJson(body.namespace, "'namespace'")
        const properties = body.properties == null ? {} : stringMapFromJson(body.properties, "'properties'")
        await catalog.createNamespace(namespace, properties)
        return ok({ namespace: [...namespace], properties })
      }),
      route('GET', ns, 'loadNamespaceMetadata', 'namespace', async ({ namespace }) =>
        ok({ namespace: [...namespace], properties: await catalog.loadNamespaceProperties(namespace) }),
      ),
      route('HEAD', ns, 'namespaceExists', 'namespace', async ({ namespace }) => ({
        status: (await catalog.namespaceExists(namespace)) ? 204 : 404,
      })),
      route('DELETE', ns, 'dropNamespace', 'namespace', async ({ namespace }) => {
        try {
          await catalog.dropNamespace(namespace)
        } catch (error) {
          // The identifier was validated already: what is refused now is a namespace in use.
          if (error instanceof ValidationError) {
            throw new RestError(409, 'NamespaceNotEmptyException', error.message)
          }
          throw error
        }
        return { status: 204 }
      }),
      route(
        'POST',
        [...ns, 'properties'],
        'updateProperties',
        'namespace',
        async (call) => {
          asObject(await call.body(), 'The request')
          if (!(await catalog.namespaceExists(call.namespace))) {
            throw new RestError(
              404,
              'NoSuchNamespaceException',
              `Namespace does not exist: ${call.namespace.join('.')}`,
            )
          }
          throw new RestError(
            406,
            'UnsupportedOperationException',
            `Catalog ${catalog.name} keeps no namespace properties`,
          )
        },
        false,
      ),
      route('GET', [...ns, 'tables'], 'listTables', 'namespace', async ({ namespace }) => {
        const tables = await catalog.listTables(namespace)
        return ok({ identifiers: tables.map((t) => ({ namespace: [...t.namespace], name: t.name })) })
      }),
      route('POST', [...ns, 'tables'], 'createTable', 'table', (call) => this.#createTable(call)),
      route('GET', tbl, 'loadTable', 'table', async ({ table, query }) => {
        const snapshots = snapshotsMode(query.get('snapshots'))
        const loaded = await catalog.loadTable(table)
        return ok(loadTableResult(loaded.metadata, loaded.metadataLocation, this.#tableConfig(), snapshots))
      }),
      route('HEAD', tbl, 'tableExists', 'table', async ({ table }) => ({
        status: (await catalog.tableExists(table)) ? 204 : 404,
      })),
      route('DELETE', tbl, 'dropTable', 'table', async ({ table, query }) => {
        await catalog.dropTable(table, { purge: booleanParam(query.get('purgeRequested'), 'purgeRequested') })
        return { status: 204 }
      }),
      route('POST', tbl, 'updateTable', 'table', (call) => this.#commit(call)),
      route('POST', [...tbl, 'metrics'], 'reportMetrics', 'table', (call) => this.#reportMetrics(call)),
      route('POST', ['tables', 'rename'], 'renameTable', 'table', async (call) => {
        const body = asObject(await call.body(), 'The request')
        const source = identifierFromJson(body.source, "'source'")
        const destination = identifierFromJson(body.destination, "'destination'")
        await catalog.renameTable(source, destination)
        return { status: 204 }
      }),
    ]
  }

  async #config({ query }: Call): Promise<Reply> {
    const asked = query.get('warehouse')
    const served = this.#options.warehouse
    if (asked && served !== undefined && asked !== served) {
      throw badRequest(
        `This endpoint serves warehouse ${JSON.stringify(served)}, not ${JSON.stringify(asked)}`,
      )
    }
    const overrides: Record<string, string> = { ...this.#options.overrides }
    if (this.#options.prefix !== undefined) overrides.prefix = this.#options.prefix
    return ok({ defaults: { ...this.#options.defaults }, overrides, endpoints: [...this.#endpoints] })
  }

  /**
   * Creates a table, or with `stage-create` only builds its first metadata for a create
   * transaction that the client commits later with `assert-create`. A location other than the
   * one the catalog gives the table is refused: a Hadoop catalog's layout fixes it.
   */
  async #createTable(call: Call): Promise<Reply> {
    const request = createTableRequestFromJson(await call.body())
    const id = parseTableIdentifier({ namespace: call.namespace, name: request.name })
    const location = await defaultTableLocation(this.#catalog, id)
    if (
      request.location !== undefined &&
      (location === undefined || !sameLocation(request.location, location))
    ) {
      throw badRequest(
        `Catalog ${this.#catalog.name} places ${identifierToString(id)} at ${location ?? 'a location of its own'}; ` +
          `a table location cannot be chosen (for Trino: iceberg.unique-table-location=false)`,
      )
    }
    if (!request.stageCreate) {
      const table = await this.#catalog.createTable(id, createTableOptions(request))
      return ok(loadTableResult(table.metadata, table.metadataLocation, this.#tableConfig()))
    }
    if (location === undefined) {
      throw new RestError(
        406,
        'UnsupportedOperationException',
        `Catalog ${this.#catalog.name} cannot stage tables`,
      )
    }
    if (await this.#catalog.tableExists(id)) {
      throw new RestError(409, 'AlreadyExistsException', `Table already exists: ${identifierToString(id)}`)
    }
    const metadata = stagedMetadata(request, location, (this.#options.now ?? Date.now)())
    return ok(loadTableResult(metadata, undefined, this.#tableConfig()))
  }

  async #commit(call: Call): Promise<Reply> {
    const body = asObject(await call.body(), 'The request')
    if (body.identifier != null) {
      const named = identifierFromJson(body.identifier, "'identifier'")
      if (!sameIdentifier(named, call.table)) {
        throw badRequest(
          `The body names ${identifierToString(named)}, the path ${identifierToString(call.table)}`,
        )
      }
    }
    const list = (key: string) => {
      const value = body[key] ?? []
      if (!Array.isArray(value)) throw badRequest(`'${key}' must be an array`)
      return value
    }
    const requirements = parseRequest(() => list('requirements').map((r) => tableRequirementFromJson(r)))
    const updates = parseRequest(() => list('updates').map((u) => tableUpdateFromJson(u)))
    const result = await this.#catalog.commitTable(call.table, requirements, updates)
    return ok(commitTableResponse(result.metadata, result.metadataLocation))
  }

  /** Accepts a client's scan or commit report and hands it to the catalog's hooks. */
  async #reportMetrics(call: Call): Promise<Reply> {
    const report = asObject(await call.body(), 'The request')
    const type = typeof report['report-type'] === 'string' ? report['report-type'] : 'unknown'
    if (!(await this.#catalog.tableExists(call.table))) {
      throw new RestError(
        404,
        'NoSuchTableException',
        `Table does not exist: ${identifierToString(call.table)}`,
      )
    }
    const table = identifierToString(call.table)
    this.#hooks.counter('lake.rest.metrics_reports', 1, { catalog: this.#catalog.name, type })
    this.#hooks.log({
      level: 'info',
      event: 'rest.metrics.report',
      message: `A client reported ${type} metrics for ${table}`,
      fields: { table, type, report },
    })
    return { status: 204 }
  }

  #tableConfig(): Record<string, string> {
    return { ...this.#options.tableConfig }
  }
}

function ok(body: JsonValue): Reply {
  return { status: 200, body }
}

function sameIdentifier(a: TableIdentifier, b: TableIdentifier): boolean {
  return (
    a.name === b.name &&
    a.namespace.length === b.namespace.length &&
    a.namespace.every((l, i) => l === b.namespace[i])
  )
}

function noRoute(path: string): RestError {
  return new RestError(404, 'NoSuchEndpointException', `No endpoint at ${path.split('?')[0]}`)
}

function snapshotsMode(value: string | null): SnapshotsMode {
  if (value === null || value === '' || value === 'all') return 'all'
  if (value === 'refs') return 'refs'
  throw badRequest(`Query parameter snapshots must be all or refs, not ${JSON.stringify(value)}`)
}

function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = stringifyMetadataJson(body)
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    ...(req.method === 'HEAD' ? {} : { 'content-length': Buffer.byteLength(text) }),
  })
  res.end(req.method === 'HEAD' ? undefined : text)
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status)
  res.end()
}
