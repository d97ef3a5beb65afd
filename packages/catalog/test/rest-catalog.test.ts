import { readdir } from 'node:fs/promises'
import { request } from 'node:http'
import {
  CommitConflictError,
  CommitStateUnknownError,
  type LakeHooks,
  type LogEvent,
  noopHooks,
  StorageError,
} from '@lake/errors'
import { afterEach, describe, expect, it } from 'vitest'
import type { Catalog, CommitResult } from '../src/catalog/catalog.js'
import { HadoopCatalog } from '../src/catalog/hadoop-catalog.js'
import { parseTableIdentifier, type TableIdentifierInput } from '../src/catalog/identifier.js'
import { ResolvingFileIO } from '../src/io/resolve.js'
import { type RestCatalogServer, type ServeRestCatalogOptions, serveRestCatalog } from '../src/rest/server.js'
import { col, defineSchema } from '../src/spec/schema-builder.js'
import {
  type JsonObject,
  type JsonValue,
  parseMetadataJson,
  stringifyMetadataJson,
} from '../src/spec/snapshot.js'
import { tableMetadataFromJson } from '../src/spec/table-metadata.js'
import {
  type TableRequirement,
  type TableUpdate,
  tableRequirementToJson,
  tableUpdateToJson,
} from '../src/spec/table-update.js'
import { Table, type TableOwner } from '../src/table/table.js'
import { scanRows, sortedColumn, tempDir } from './helpers.js'

// Every endpoint of the Iceberg REST catalog spec over a HadoopCatalog, through real HTTP.

const servers: RestCatalogServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const { schema } = defineSchema({ id: col.long().required(), kind: col.string() })
const fastRetries = { 'commit.retry.min-wait-ms': '1', 'commit.retry.max-wait-ms': '20' }

const SCHEMA_JSON = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'kind', required: false, type: 'string' },
  ],
}

async function setup(options: Partial<ServeRestCatalogOptions> = {}, catalogHooks?: Partial<LakeHooks>) {
  const warehouse = await tempDir()
  const catalog = new HadoopCatalog({ warehouse, ...(catalogHooks ? { hooks: catalogHooks } : {}) })
  const server = await serveRestCatalog({
    catalog,
    host: '127.0.0.1',
    port: 0,
    ...options,
    ...(options.catalog ? {} : { catalog }),
  })
  servers.push(server)
  const prefix = options.prefix ? `/${options.prefix}` : ''
  return { warehouse, catalog, server, url: server.url, v1: `${server.url}/v1${prefix}` }
}

interface Answer {
  status: number
  headers: Headers
  json: JsonValue | undefined
}

/** One request; bodies as Lake writes JSON (ids exact), answers parsed the same way. */
async function http(
  method: string,
  url: string,
  options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  const body = options.raw ?? (options.body === undefined ? undefined : stringifyMetadataJson(options.body))
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    json: text ? parseMetadataJson(text) : undefined,
  }
}

/** The status of a request whose path is sent exactly as written. */
function rawStatus(method: string, url: string, body?: unknown): Promise<number> {
  const { hostname, port } = new URL(url)
  const path = url.slice(url.indexOf('/', 'http://'.length))
  const text = body === undefined ? undefined : stringifyMetadataJson(body)
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
    })
    req.on('error', reject)
    req.end(text)
  })
}

function errorOf(answer: Answer): { message: string; type: string; code: number } {
  return (answer.json as { error: { message: string; type: string; code: number } }).error
}

function expectError(answer: Answer, status: number, type: string): void {
  expect({ status: answer.status, type: errorOf(answer)?.type, code: errorOf(answer)?.code }).toEqual({
    status,
    type,
    code: status,
  })
}

/**
 * A Lake table whose commits go over REST: the SDK's own commit loop (refresh, rebuild, retry on
 * a conflict) with the endpoint as its catalog. Files are written to the shared warehouse.
 */
class RestTableOwner implements TableOwner {
  readonly name = 'rest-client'
  readonly io = new ResolvingFileIO()
  readonly hooks = noopHooks
  readonly statuses: number[] = []
  constructor(readonly v1: string) {}

  #path(input: TableIdentifierInput): string {
    const id = parseTableIdentifier(input)
    return `${this.v1}/namespaces/${id.namespace.map(encodeURIComponent).join('%1F')}/tables/${encodeURIComponent(id.name)}`
  }

  async loadTable(input: TableIdentifierInput): Promise<Table> {
    const answer = await http('GET', this.#path(input))
    if (answer.status !== 200) throw new Error(`load failed: ${answer.status}`)
    const json = answer.json as JsonObject
    const location = json['metadata-location'] as string
    return new Table(
      this,
      parseTableIdentifier(input),
      tableMetadataFromJson(json.metadata!, location),
      location,
    )
  }

  async commitTable(
    input: TableIdentifierInput,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
  ): Promise<CommitResult> {
    const id = parseTableIdentifier(input)
    const answer = await http('POST', this.#path(input), {
      body: {
        identifier: { namespace: [...id.namespace], name: id.name },
        requirements: requirements.map(tableRequirementToJson),
        updates: updates.map(tableUpdateToJson),
      },
    })
    this.statuses.push(answer.status)
    if (answer.status === 409) throw new CommitConflictError(errorOf(answer).message)
    if (answer.status !== 200) throw new Error(`commit failed: ${answer.status} ${errorOf(answer).message}`)
    const json = answer.json as JsonObject
    const location = json['metadata-location'] as string
    return { metadata: tableMetadataFromJson(json.metadata!, location), metadataLocation: location }
  }

  createNamespace = unused
  listNamespaces = unused
  namespaceExists = unused
  loadNamespaceProperties = unused
  dropNamespace = unused
  createTable = unused
  tableExists = unused
  listTables = unused
  dropTable = unused
  renameTable = unused
}

async function unused(): Promise<never> {
  throw new Error('not used by these tests')
}

async function lakeTable(catalog: HadoopCatalog, name = 'db.t', properties: Record<string, string> = {}) {
  if (!(await catalog.namespaceExists('db'))) await catalog.createNamespace('db')
  return catalog.createTable(name, { schema, properties })
}

describe('GET /v1/config', () => {
  it('answers defaults, overrides and the endpoints served', async () => {
    const { url } = await setup({ defaults: { clients: '2' } })
    const answer = await http('GET', `${url}/v1/config`)
    expect(answer.status).toBe(200)
    const json = answer.json as { defaults: object; overrides: object; endpoints: string[] }
    expect(json.defaults).toEqual({ clients: '2' })
    expect(json.overrides).toEqual({})
    expect(json.endpoints).toContain('POST /v1/{prefix}/namespaces/{namespace}/tables/{table}')
    expect(json.endpoints).toContain('HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}')
    expect(json.endpoints).toContain('POST /v1/{prefix}/tables/rename')
    expect(json.endpoints).not.toContain('POST /v1/{prefix}/namespaces/{namespace}/properties')
  })

  it('sends a configured prefix as an override and serves the catalog under it only', async () => {
    const { url, catalog } = await setup({ prefix: 'lake', warehouse: 'main' })
    await catalog.createNamespace('db')
    const config = await http('GET', `${url}/v1/config?warehouse=main`)
    expect((config.json as { overrides: object }).overrides).toEqual({ prefix: 'lake' })
    expect((await http('GET', `${url}/v1/lake/namespaces`)).json).toEqual({ namespaces: [['db']] })
    expectError(await http('GET', `${url}/v1/namespaces`), 404, 'NoSuchEndpointException')
    expectError(await http('GET', `${url}/v1/other/namespaces`), 404, 'NoSuchEndpointException')
    expectError(await http('GET', `${url}/v1/config?warehouse=other`), 400, 'BadRequestException')
  })
})

describe('namespaces', () => {
  it('creates, lists (under a parent too), loads, checks and drops namespaces', async () => {
    const { v1, warehouse } = await setup()
    const created = await http('POST', `${v1}/namespaces`, { body: { namespace: ['a'], properties: {} } })
    expect(created).toMatchObject({ status: 200, json: { namespace: ['a'], properties: {} } })
    expect((await http('POST', `${v1}/namespaces`, { body: { namespace: ['a', 'b'] } })).status).toBe(200)
    expect((await http('POST', `${v1}/namespaces`, { body: { namespace: ['c'] } })).status).toBe(200)
    const top = (await http('GET', `${v1}/namespaces`)).json as { namespaces: string[][] }
    expect(top.namespaces.sort()).toEqual([['a'], ['c']])
    expect((await http('GET', `${v1}/namespaces?parent=a`)).json).toEqual({ namespaces: [['a', 'b']] })
    expect((await http('GET', `${v1}/namespaces?parent=a%1Fb`)).json).toEqual({ namespaces: [] })
    const loaded = await http('GET', `${v1}/namespaces/a%1Fb`)
    expect(loaded.json).toEqual({
      namespace: ['a', 'b'],
      properties: { location: expect.stringContaining('/a/b') },
    })
    expect((await http('HEAD', `${v1}/namespaces/a%1Fb`)).status).toBe(204)
    expect((await http('HEAD', `${v1}/namespaces/nope`)).status).toBe(404)
    expect((await http('DELETE', `${v1}/namespaces/a%1Fb`)).status).toBe(204)
    expect((await http('HEAD', `${v1}/namespaces/a%1Fb`)).status).toBe(404)
    expect((await readdir(warehouse)).sort()).toEqual(['a', 'c'])
  })

  it('answers the errors the spec names', async () => {
    const { v1, catalog } = await setup()
    await lakeTable(catalog)
    expectError(
      await http('POST', `${v1}/namespaces`, { body: { namespace: ['db'] } }),
      409,
      'AlreadyExistsException',
    )
    expectError(await http('GET', `${v1}/namespaces?parent=nope`), 404, 'NoSuchNamespaceException')
    expectError(await http('GET', `${v1}/namespaces/nope`), 404, 'NoSuchNamespaceException')
    expectError(await http('DELETE', `${v1}/namespaces/nope`), 404, 'NoSuchNamespaceException')
    expectError(await http('DELETE', `${v1}/namespaces/db`), 409, 'NamespaceNotEmptyException')
    expectError(await http('GET', `${v1}/namespaces/nope/tables`), 404, 'NoSuchNamespaceException')
    // A Hadoop catalog keeps no namespace properties.
    expectError(
      await http('POST', `${v1}/namespaces`, { body: { namespace: ['p'], properties: { owner: 'x' } } }),
      406,
      'UnsupportedOperationException',
    )
    expectError(
      await http('POST', `${v1}/namespaces/db/properties`, { body: { removals: [], updates: { a: 'b' } } }),
      406,
      'UnsupportedOperationException',
    )
    expectError(
      await http('POST', `${v1}/namespaces/nope/properties`, { body: { updates: {} } }),
      404,
      'NoSuchNamespaceException',
    )
  })
})

describe('tables', () => {
  it('creates a partitioned, sorted table that Lake then loads as created', async () => {
    const { v1, catalog } = await setup()
    await catalog.createNamespace('db')
    const answer = await http('POST', `${v1}/namespaces/db/tables`, {
      body: {
        name: 'events',
        location: null,
        schema: SCHEMA_JSON,
        'partition-spec': {
          'spec-id': 0,
          fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' }],
        },
        'write-order': {
          'order-id': 1,
          fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
        },
        properties: { owner: 'rest' },
      },
    })
    expect(answer.status).toBe(200)
    const json = answer.json as JsonObject
    const table = await catalog.loadTable('db.events')
    expect(json['metadata-location']).toBe(table.metadataLocation)
    expect(json.config).toEqual({})
    expect((json.metadata as JsonObject)['table-uuid']).toBe(table.metadata.tableUuid)
    expect(table.spec().fields.map((f) => [f.name, f.sourceId, f.fieldId])).toEqual([['ts_day', 2, 1000]])
    expect(table.sortOrder().fields.map((f) => f.sourceId)).toEqual([1])
    expect(table.properties).toEqual({ owner: 'rest' })
    expect((await http('GET', `${v1}/namespaces/db/tables`)).json).toEqual({
      identifiers: [{ namespace: ['db'], name: 'events' }],
    })
    expectError(
      await http('POST', `${v1}/namespaces/db/tables`, { body: { name: 'events', schema: SCHEMA_JSON } }),
      409,
      'AlreadyExistsException',
    )
    expectError(
      await http('POST', `${v1}/namespaces/nope/tables`, { body: { name: 't', schema: SCHEMA_JSON } }),
      404,
      'NoSuchNamespaceException',
    )
    expectError(
      await http('POST', `${v1}/namespaces/db/tables`, {
        body: { name: 'x', location: '/tmp/elsewhere', schema: SCHEMA_JSON },
      }),
      400,
      'BadRequestException',
    )
    expect(await catalog.tableExists('db.x')).toBe(false)
  })

  it('stages a table without writing it, then creates it from the assert-create commit', async () => {
    const { v1, catalog } = await setup()
    await catalog.createNamespace('db')
    const staged = await http('POST', `${v1}/namespaces/db/tables`, {
      body: {
        name: 'ctas',
        schema: SCHEMA_JSON,
        'stage-create': true,
        properties: { 'format-version': '2' },
      },
    })
    expect(staged.status).toBe(200)
    const json = staged.json as JsonObject
    expect(json['metadata-location']).toBeUndefined()
    expect((await http('HEAD', `${v1}/namespaces/db/tables/ctas`)).status).toBe(404)
    const metadata = tableMetadataFromJson(json.metadata!)
    expect(metadata.location).toBe(`${catalog.warehouse}/db/ctas`)
    const updates: TableUpdate[] = [
      { action: 'assign-uuid', uuid: metadata.tableUuid },
      { action: 'upgrade-format-version', 'format-version': 2 },
      { action: 'add-schema', schema: metadata.currentSchema(), 'last-column-id': metadata.lastColumnId },
      { action: 'set-current-schema', 'schema-id': -1 },
      { action: 'add-spec', spec: metadata.defaultSpec() },
      { action: 'set-default-spec', 'spec-id': -1 },
      { action: 'add-sort-order', 'sort-order': metadata.defaultSortOrder() },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
      { action: 'set-location', location: metadata.location },
      { action: 'set-properties', updates: { committed: 'yes' } },
    ]
    const body = {
      identifier: { namespace: ['db'], name: 'ctas' },
      requirements: [{ type: 'assert-create' }],
      updates: updates.map(tableUpdateToJson),
    }
    const committed = await http('POST', `${v1}/namespaces/db/tables/ctas`, { body })
    expect(committed.status).toBe(200)
    const table = await catalog.loadTable('db.ctas')
    expect((committed.json as JsonObject)['metadata-location']).toBe(table.metadataLocation)
    expect(table.metadata.tableUuid).toBe(metadata.tableUuid)
    expect(table.properties).toEqual({ committed: 'yes' })
    // The same create again lost the race: the spec's CommitFailedException.
    expectError(await http('POST', `${v1}/namespaces/db/tables/ctas`, { body }), 409, 'CommitFailedException')
    expectError(
      await http('POST', `${v1}/namespaces/db/tables`, {
        body: { name: 'ctas', schema: SCHEMA_JSON, 'stage-create': true },
      }),
      409,
      'AlreadyExistsException',
    )
  })

  it('loads a table with its metadata location, exact snapshot ids and config, all or refs only', async () => {
    const { v1, catalog } = await setup({ tableConfig: { 'io-impl': 'x' } })
    const table = await lakeTable(catalog)
    await table.append([{ id: 1n, kind: 'a' }])
    const first = table.currentSnapshot()!.snapshotId
    await table.append([{ id: 2n, kind: 'b' }])
    const answer = await http('GET', `${v1}/namespaces/db/tables/t`)
    expect(answer.status).toBe(200)
    const json = answer.json as JsonObject
    expect(json['metadata-location']).toBe(table.metadataLocation)
    expect(json.config).toEqual({ 'io-impl': 'x' })
    const metadata = tableMetadataFromJson(json.metadata!)
    expect(metadata.snapshots.map((s) => s.snapshotId)).toEqual(table.snapshots().map((s) => s.snapshotId))
    expect(metadata.currentSnapshotId).toBe(table.currentSnapshot()!.snapshotId)
    const refs = (await http('GET', `${v1}/namespaces/db/tables/t?snapshots=refs`)).json as JsonObject
    const ids = ((refs.metadata as JsonObject).snapshots as JsonObject[]).map((s) => s['snapshot-id'])
    expect(ids).toEqual([table.currentSnapshot()!.snapshotId])
    expect(ids).not.toContain(first)
    expectError(await http('GET', `${v1}/namespaces/db/tables/t?snapshots=some`), 400, 'BadRequestException')
    expectError(await http('GET', `${v1}/namespaces/db/tables/nope`), 404, 'NoSuchTableException')
    expect((await http('HEAD', `${v1}/namespaces/db/tables/t`)).status).toBe(204)
    expect((await http('HEAD', `${v1}/namespaces/db/tables/nope`)).status).toBe(404)
  })

  it('commits a schema change through the catalog, and refuses a stale or malformed one', async () => {
    const { v1, catalog } = await setup()
    await lakeTable(catalog)
    const url = `${v1}/namespaces/db/tables/t`
    const evolved = {
      type: 'struct',
      'schema-id': 1,
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'kind', required: false, type: 'string' },
        { id: 3, name: 'note', required: false, type: 'string' },
      ],
    }
    const body = {
      requirements: [
        { type: 'assert-current-schema-id', 'current-schema-id': 0 },
        { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 2 },
      ],
      updates: [
        { action: 'add-schema', schema: evolved, 'last-column-id': 3 },
        { action: 'set-current-schema', 'schema-id': -1 },
      ],
    }
    const answer = await http('POST', url, { body })
    expect(answer.status).toBe(200)
    const table = await catalog.loadTable('db.t')
    expect((answer.json as JsonObject)['metadata-location']).toBe(table.metadataLocation)
    expect(table.schema().fields.map((f) => f.name)).toEqual(['id', 'kind', 'note'])
    expectError(await http('POST', url, { body }), 409, 'CommitFailedException')
    expectError(
      await http('POST', url, { body: { requirements: [], updates: [{ action: 'rewrite-everything' }] } }),
      400,
      'BadRequestException',
    )
    expectError(
      await http('POST', url, { body: { requirements: [{ type: 'assert-nothing' }], updates: [] } }),
      400,
      'BadRequestException',
    )
    expectError(await http('POST', url, { raw: '{"requirements": [' }), 400, 'BadRequestException')
    expectError(
      await http('POST', url, {
        body: { identifier: { namespace: ['db'], name: 'other' }, requirements: [], updates: [] },
      }),
      400,
      'BadRequestException',
    )
    expectError(
      await http('POST', `${v1}/namespaces/db/tables/nope`, { body: { requirements: [], updates: [] } }),
      404,
      'NoSuchTableException',
    )
    expect((await catalog.loadTable('db.t')).metadataLocation).toBe(table.metadataLocation)
  })

  it('renames a table, refusing a missing source, a taken name and a missing namespace', async () => {
    const { v1, catalog } = await setup()
    const table = await lakeTable(catalog)
    await table.append([{ id: 1n, kind: 'a' }])
    await lakeTable(catalog, 'db.taken')
    const rename = (from: string, to: string[]) =>
      http('POST', `${v1}/tables/rename`, {
        body: {
          source: { namespace: ['db'], name: from },
          destination: { namespace: to.slice(0, -1), name: to.at(-1) },
        },
      })
    expectError(await rename('t', ['db', 'taken']), 409, 'AlreadyExistsException')
    expectError(await rename('nope', ['db', 'u']), 404, 'NoSuchTableException')
    expectError(await rename('t', ['nope', 'u']), 404, 'NoSuchNamespaceException')
    expect((await rename('t', ['db', 'u'])).status).toBe(204)
    expect(await catalog.tableExists('db.t')).toBe(false)
    expect(await scanRows(await catalog.loadTable('db.u'))).toEqual([{ id: 1n, kind: 'a' }])
  })

  it('drops a table, purging its files when asked', async () => {
    const { v1, catalog, warehouse } = await setup()
    const table = await lakeTable(catalog)
    await table.append([{ id: 1n, kind: 'a' }])
    await lakeTable(catalog, 'db.kept')
    expect((await http('DELETE', `${v1}/namespaces/db/tables/t?purgeRequested=true`)).status).toBe(204)
    expect(await readdir(`${warehouse}/db`)).toEqual(['kept'])
    expect((await http('DELETE', `${v1}/namespaces/db/tables/kept?purgeRequested=False`)).status).toBe(204)
    expectError(await http('DELETE', `${v1}/namespaces/db/tables/kept`), 404, 'NoSuchTableException')
    expectError(
      await http('DELETE', `${v1}/namespaces/db/tables/t?purgeRequested=maybe`),
      400,
      'BadRequestException',
    )
  })

  it('accepts a metrics report and hands it to the catalog hooks', async () => {
    const events: LogEvent[] = []
    const counted: string[] = []
    const { v1, catalog } = await setup(
      {},
      { log: (e) => events.push(e), counter: (name) => counted.push(name) },
    )
    await lakeTable(catalog)
    const report = {
      'report-type': 'scan-report',
      'table-name': 'db.t',
      'snapshot-id': 9007199254740993n,
      metrics: {},
    }
    expect((await http('POST', `${v1}/namespaces/db/tables/t/metrics`, { body: report })).status).toBe(204)
    const logged = events.find((e) => e.event === 'rest.metrics.report')
    expect(logged?.fields).toMatchObject({
      table: 'db.t',
      type: 'scan-report',
      report: { 'snapshot-id': 9007199254740993n },
    })
    expect(counted).toContain('lake.rest.metrics_reports')
    expectError(
      await http('POST', `${v1}/namespaces/db/tables/nope/metrics`, { body: report }),
      404,
      'NoSuchTableException',
    )
  })

  it('answers an unknown path 404 and a wrong method 405', async () => {
    const { v1, url } = await setup()
    expectError(await http('GET', `${v1}/views`), 404, 'NoSuchEndpointException')
    expectError(await http('GET', `${url}/v2/config`), 404, 'NoSuchEndpointException')
    const answer = await http('PUT', `${v1}/namespaces`)
    expectError(answer, 405, 'MethodNotAllowedException')
    expect(answer.headers.get('allow')).toBe('GET, POST')
  })
})

describe('the error model', () => {
  /** A catalog whose commit fails as told, to see each failure's answer. */
  function failing(error: unknown, catalog: HadoopCatalog): Catalog {
    return new Proxy(catalog, {
      get(target, key) {
        if (key === 'commitTable') return () => Promise.reject(error)
        const value = Reflect.get(target, key)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  it.each([
    [new CommitStateUnknownError('rename reported a failure'), 500, 'CommitStateUnknownException', true],
    [
      new StorageError('NameNode in safe mode', { retryable: true }),
      503,
      'ServiceUnavailableException',
      true,
    ],
    [new StorageError('permission denied'), 500, 'InternalServerError', true],
    [new TypeError('secret internals'), 500, 'InternalServerError', false],
  ])('answers %s as %i %s', async (error, status, type, keepsMessage) => {
    const warehouse = await tempDir()
    const catalog = new HadoopCatalog({ warehouse })
    await lakeTable(catalog)
    const server = await serveRestCatalog({ catalog: failing(error, catalog), port: 0 })
    servers.push(server)
    const answer = await http('POST', `${server.url}/v1/namespaces/db/tables/t`, {
      body: { requirements: [], updates: [] },
    })
    expectError(answer, status, type)
    expect(errorOf(answer).message).toBe(keepsMessage ? (error as Error).message : 'Internal server error')
  })

  it('keeps serving when a hook throws', async () => {
    const { v1 } = await setup(
      {},
      {
        counter: () => {
          throw new Error('metrics backend down')
        },
      },
    )
    expect((await http('GET', `${v1}/namespaces`)).status).toBe(200)
    expect((await http('GET', `${v1}/namespaces`)).json).toEqual({ namespaces: [] })
  })

  it('refuses a body over the limit with 413 and a body that is not JSON with 400', async () => {
    const { v1 } = await setup({ maxBodyBytes: 1024 })
    const big = { namespace: ['a'], properties: { pad: 'x'.repeat(4096) } }
    expectError(await http('POST', `${v1}/namespaces`, { body: big }), 413, 'RequestTooLargeException')
    expectError(await http('POST', `${v1}/namespaces`, { raw: 'namespace=a' }), 400, 'BadRequestException')
    expectError(await http('POST', `${v1}/namespaces`, { raw: '' }), 400, 'BadRequestException')
    expectError(await http('POST', `${v1}/namespaces`, { body: ['a'] }), 400, 'BadRequestException')
    expectError(
      await http('POST', `${v1}/namespaces`, { body: { namespace: 'a' } }),
      400,
      'BadRequestException',
    )
  })
})

describe('identifiers', () => {
  // Sent with node:http, which sends the path as written: fetch would resolve `%2e%2e` itself.
  it.each([
    ['a level of ..', '..%1Fx'],
    ['an encoded slash', 'a%2Fb'],
    ['an encoded backslash', 'a%5Cb'],
    ['a NUL', 'a%00b'],
    ['an encoded dot-dot', '%2e%2e'],
    ['a plain dot-dot', '..'],
    ['an empty level', 'a%1F%1Fb'],
    ['a malformed escape', 'a%E0%A4%A'],
  ])('refuses a namespace or table with %s before it reaches storage', async (_, name) => {
    const { v1, warehouse, catalog } = await setup()
    await catalog.createNamespace('db')
    for (const [method, path] of [
      ['GET', `namespaces/${name}`],
      ['HEAD', `namespaces/${name}`],
      ['GET', `namespaces/${name}/tables`],
      ['DELETE', `namespaces/${name}`],
      ['POST', `namespaces/${name}/tables`],
      ['GET', `namespaces/db/tables/${name}`],
      ['POST', `namespaces/db/tables/${name}`],
      ['DELETE', `namespaces/db/tables/${name}?purgeRequested=true`],
    ] as const) {
      const body =
        method === 'POST' ? { name: 't', schema: SCHEMA_JSON, requirements: [], updates: [] } : undefined
      expect([method, path, await rawStatus(method, `${v1}/${path}`, body)]).toEqual([method, path, 400])
    }
    expect(await readdir(warehouse)).toEqual(['db'])
  })

  it('refuses a parent namespace with .., a slash or a control character', async () => {
    const { v1 } = await setup()
    for (const parent of ['..%1Fx', 'a%2Fb', 'a%00', '%1F']) {
      expectError(await http('GET', `${v1}/namespaces?parent=${parent}`), 400, 'BadRequestException')
    }
  })

  it('refuses bad names in bodies: create, create table and rename', async () => {
    const { v1, warehouse, catalog } = await setup()
    await lakeTable(catalog)
    for (const namespace of [['..'], ['a/b'], ['a\u0000'], [], [' a']]) {
      expectError(await http('POST', `${v1}/namespaces`, { body: { namespace } }), 400, 'BadRequestException')
    }
    for (const name of ['..', 'x/y', 'x\ny']) {
      expectError(
        await http('POST', `${v1}/namespaces/db/tables`, { body: { name, schema: SCHEMA_JSON } }),
        400,
        'BadRequestException',
      )
      const rename = { source: { namespace: ['db'], name: 't' }, destination: { namespace: ['db'], name } }
      expectError(await http('POST', `${v1}/tables/rename`, { body: rename }), 400, 'BadRequestException')
    }
    const up = { source: { namespace: ['db'], name: 't' }, destination: { namespace: ['..'], name: 'x' } }
    expectError(await http('POST', `${v1}/tables/rename`, { body: up }), 400, 'BadRequestException')
    expect(await readdir(warehouse)).toEqual(['db'])
    expect(await readdir(`${warehouse}/db`)).toEqual(['t'])
  })
})

describe('bearer tokens', () => {
  it('serves nothing, config included, without the static token', async () => {
    const { url, v1 } = await setup({ token: 's3cret' })
    for (const target of [`${url}/v1/config`, `${v1}/namespaces`, `${v1}/no/such/route`]) {
      const missing = await http('GET', target)
      expectError(missing, 401, 'NotAuthorizedException')
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm=/)
      const wrong = await http('GET', target, { token: 'guess' })
      expectError(wrong, 401, 'NotAuthorizedException')
      expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"')
    }
    expectError(
      await http('GET', `${v1}/namespaces`, { headers: { authorization: 'Basic czNjcmV0' } }),
      401,
      'NotAuthorizedException',
    )
    expect((await http('GET', `${url}/v1/config`, { token: 's3cret' })).status).toBe(200)
    expect((await http('GET', `${v1}/namespaces`, { token: 's3cret' })).status).toBe(200)
  })

  it('asks the verifier about every request, and answers its refusal 403', async () => {
    const seen: string[] = []
    const verify = (token: string, req: { method?: string; url?: string }) => {
      seen.push(`${token} ${req.method} ${req.url}`)
      if (token === 'boom') throw new Error('verifier down')
      return token === 'admin' || (token === 'reader' && req.method === 'GET')
    }
    const { url, v1 } = await setup({ verify })
    expectError(await http('GET', `${url}/v1/config`), 401, 'NotAuthorizedException')
    expect(seen).toEqual([])
    expect((await http('GET', `${url}/v1/config`, { token: 'reader' })).status).toBe(200)
    expectError(
      await http('POST', `${v1}/namespaces`, { token: 'reader', body: { namespace: ['a'] } }),
      403,
      'ForbiddenException',
    )
    expectError(await http('GET', `${v1}/namespaces`, { token: 'nobody' }), 403, 'ForbiddenException')
    expectError(await http('GET', `${v1}/namespaces`, { token: 'boom' }), 403, 'ForbiddenException')
    expect(
      (await http('POST', `${v1}/namespaces`, { token: 'admin', body: { namespace: ['a'] } })).status,
    ).toBe(200)
    expect(seen[0]).toBe('reader GET /v1/config')
  })

  it('checks the static token before the verifier when both are set', async () => {
    let asked = 0
    const { v1 } = await setup({ token: 't', verify: async () => ++asked > 1 })
    expectError(await http('GET', `${v1}/namespaces`, { token: 'u' }), 401, 'NotAuthorizedException')
    expect(asked).toBe(0)
    expectError(await http('GET', `${v1}/namespaces`, { token: 't' }), 403, 'ForbiddenException')
    expect((await http('GET', `${v1}/namespaces`, { token: 't' })).status).toBe(200)
  })
})

describe('concurrent commits over REST', () => {
  it('lets one of two racing appends win, answers the other 409, and lands both after its retry', async () => {
    const { v1, catalog } = await setup()
    await lakeTable(catalog, 'db.t', fastRetries)
    const clients = [new RestTableOwner(v1), new RestTableOwner(v1)]
    const tables = await Promise.all(clients.map((c) => c.loadTable('db.t')))
    await Promise.all(
      tables.map((table, w) =>
        table.append(Array.from({ length: 5 }, (_, i) => ({ id: BigInt(w * 10 + i), kind: `w${w}` }))),
      ),
    )
    const statuses = clients.flatMap((c) => c.statuses).sort()
    expect(statuses).toEqual([200, 200, 409])
    const table = await catalog.loadTable('db.t')
    expect(table.snapshots()).toHaveLength(2)
    expect(table.snapshots()[1]!.parentSnapshotId).toBe(table.snapshots()[0]!.snapshotId)
    expect(sortedColumn(await scanRows(table), 'id')).toEqual([0n, 1n, 2n, 3n, 4n, 10n, 11n, 12n, 13n, 14n])
  })
})
