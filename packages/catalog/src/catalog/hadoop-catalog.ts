import { randomUUID } from 'node:crypto'
import { isAbsolute, resolve } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import {
  AlreadyExistsError,
  CommitConflictError,
  CommitStateUnknownError,
  CorruptFileError,
  isLakeError,
  type LakeHooks,
  NotFoundError,
  resolveHooks,
  UnsupportedError,
  ValidationError,
} from '@lake/errors'
import { z } from 'zod'
import { baseName, type FileIO, type FileStatus, joinLocation, parentLocation } from '../io/file-io.js'
import { toFileUri } from '../io/local.js'
import { ResolvingFileIO } from '../io/resolve.js'
import { readManifestList } from '../spec/manifest-list.js'
import {
  parseTableMetadata,
  serializeTableMetadata,
  type TableMetadata,
  withMetadataLogEntry,
} from '../spec/table-metadata.js'
import {
  applyUpdates,
  checkRequirements,
  type TableRequirement,
  type TableUpdate,
} from '../spec/table-update.js'
import { Table } from '../table/table.js'
import type { Catalog, CommitResult, CreateTableOptions } from './catalog.js'
import {
  metadataDirectory,
  metadataFileName,
  namespaceLocation,
  parseMetadataVersion,
  tableLocation,
  VERSION_HINT_FILENAME,
} from './hadoop-layout.js'
import {
  identifierToString,
  type Namespace,
  type NamespaceInput,
  parseNamespace,
  parseTableIdentifier,
  type TableIdentifier,
  type TableIdentifierInput,
} from './identifier.js'
import { buildNewTableMetadata, metadataBeforeCreate } from './new-table.js'
import { createTableOptionsSchema, parseOptions } from './table-options.js'

/** Options of {@link HadoopCatalog}. */
export interface HadoopCatalogOptions {
  /** Root of the warehouse: an absolute path, a `file:` URI or an `hdfs://` URI. */
  warehouse: string
  /** Storage; defaults to a {@link ResolvingFileIO} with local disk. */
  io?: FileIO
  /** A name for logs and metrics. Default `hadoop`. */
  name?: string
  /** Metrics and logs. */
  hooks?: Partial<LakeHooks>
  /** The clock, for metadata timestamps; tests pass a fixed one. */
  now?: () => number
}

/** The current state of a table as read from storage. */
interface Current {
  version: number
  metadata: TableMetadata
  metadataLocation: string
}

/** A metadata file read before, with the length and modification time it had. */
interface ReadMetadata {
  length: number
  modifiedMs: number
  metadata: TableMetadata
}

/** How many metadata files a catalog keeps from its reads. */
const READ_METADATA_KEPT = 16

/**
 * Iceberg tables in a directory tree, in exactly the layout of Apache Iceberg Java's
 * `HadoopCatalog`: namespaces are directories and each table's `metadata/` directory holds
 * `v<N>.metadata.json` files and a `version-hint.text`. No database is involved: the atomic
 * rename-if-absent of the storage decides every commit race.
 *
 * @example
 * ```ts
 * const catalog = new HadoopCatalog({ warehouse: '/data/warehouse' })
 * await catalog.createNamespace('analytics')
 * const table = await catalog.createTable('analytics.events', { schema, partitionBy: [{ source: 'ts', transform: 'day' }] })
 * ```
 */
export class HadoopCatalog implements Catalog {
  readonly name: string
  /** The warehouse root as a URI (`file:/…` or `hdfs://…`). */
  readonly warehouse: string
  readonly io: FileIO
  readonly hooks: LakeHooks
  readonly #now: () => number
  /**
   * The metadata files read last, by location, least recently used first. A version file is
   * written once and renamed into place, so one at the same location with the same length and
   * modification time is the same file: reloading a table that has not changed costs the
   * version probes, not a read and a parse.
   */
  readonly #readMetadata = new Map<string, ReadMetadata>()
  /**
   * Per table metadata directory, the version this catalog last found or committed there, least
   * recently used first: the next look starts from it (see {@link HadoopCatalog.#current}).
   */
  readonly #versions = new Map<string, { version: number; location: string }>()

  constructor(options: HadoopCatalogOptions) {
    const parsed = parseOptions(
      createHadoopCatalogOptionsSchema,
      options,
      'HadoopCatalog options',
    ) as HadoopCatalogOptions
    this.warehouse = normaliseWarehouse(parsed.warehouse)
    this.io = options.io ?? new ResolvingFileIO()
    this.name = parsed.name ?? 'hadoop'
    this.hooks = resolveHooks(options.hooks)
    this.#now = options.now ?? Date.now
  }

  // -------------------------------------------------------------------------------- namespaces

  async createNamespace(
    input: NamespaceInput,
    properties: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const namespace = parseNamespace(input)
    if (Object.keys(properties).length > 0) {
      throw new UnsupportedError('A Hadoop catalog keeps no namespace properties', {
        context: { namespace: namespace.join('.') },
      })
    }
    const location = namespaceLocation(this.warehouse, namespace)
    if (await this.io.exists(location)) {
      throw new AlreadyExistsError(`Namespace already exists: ${namespace.join('.')}`, {
        context: { namespace: namespace.join('.') },
      })
    }
    await this.io.mkdirs(location)
  }

  async listNamespaces(parent?: NamespaceInput): Promise<Namespace[]> {
    const prefix = parent === undefined ? [] : parseNamespace(parent)
    const location = prefix.length === 0 ? this.warehouse : namespaceLocation(this.warehouse, prefix)
    if (prefix.length > 0 && !(await this.#isNamespace(location))) throw namespaceNotFound(prefix)
    if (prefix.length === 0 && !(await this.io.exists(location))) return []
    const namespaces: Namespace[] = []
    for await (const status of this.io.list(location)) {
      const name = baseName(status.location)
      if (!status.isDirectory || name.startsWith('.')) continue
      if (await this.#holdsTableFiles(status.location)) continue
      namespaces.push([...prefix, name])
    }
    return namespaces
  }

  async namespaceExists(input: NamespaceInput): Promise<boolean> {
    return this.#isNamespace(namespaceLocation(this.warehouse, parseNamespace(input)))
  }

  async loadNamespaceProperties(input: NamespaceInput): Promise<Record<string, string>> {
    const namespace = parseNamespace(input)
    const location = namespaceLocation(this.warehouse, namespace)
    if (!(await this.#isNamespace(location))) throw namespaceNotFound(namespace)
    return { location }
  }

  async dropNamespace(input: NamespaceInput): Promise<void> {
    const namespace = parseNamespace(input)
    const location = namespaceLocation(this.warehouse, namespace)
    if (!(await this.#isNamespace(location))) throw namespaceNotFound(namespace)
    for await (const _ of this.io.list(location)) {
      throw new ValidationError(`Namespace ${namespace.join('.')} is not empty`, {
        context: { namespace: namespace.join('.') },
      })
    }
    await this.io.delete(location, { recursive: true })
  }

  // -------------------------------------------------------------------------------- tables

  async createTable(input: TableIdentifierInput, options: CreateTableOptions): Promise<Table> {
    const id = parseTableIdentifier(input)
    const parsed = parseOptions(createTableOptionsSchema, options, 'createTable options')
    const namespaceDir = namespaceLocation(this.warehouse, id.namespace)
    if (!(await this.#isNamespace(namespaceDir))) throw namespaceNotFound(id.namespace)
    const location = tableLocation(this.warehouse, id)
    await this.#checkLocationFree(id, location)
    const metadata = buildNewTableMetadata({
      schema:
        'schema' in parsed.schema ? (parsed.schema as { schema: never }).schema : (parsed.schema as never),
      partitionBy: parsed.partitionBy ?? [],
      sortBy: parsed.sortBy ?? [],
      properties: parsed.properties ?? {},
      location,
      tableUuid: randomUUID(),
      timestampMs: this.#now(),
    })
    try {
      const committed = await this.#writeVersion(id, undefined, metadata)
      return new Table(this, id, committed.metadata, committed.metadataLocation)
    } catch (error) {
      if (error instanceof CommitConflictError) throw tableExists(id)
      throw error
    }
  }

  async loadTable(input: TableIdentifierInput): Promise<Table> {
    const id = parseTableIdentifier(input)
    const current = await this.#current(id)
    if (!current) throw tableNotFound(id)
    return new Table(this, id, current.metadata, current.metadataLocation)
  }

  async tableExists(input: TableIdentifierInput): Promise<boolean> {
    return this.#isTableDirectory(tableLocation(this.warehouse, parseTableIdentifier(input)))
  }

  async listTables(input: NamespaceInput): Promise<TableIdentifier[]> {
    const namespace = parseNamespace(input)
    const location = namespaceLocation(this.warehouse, namespace)
    if (!(await this.#isNamespace(location))) throw namespaceNotFound(namespace)
    const tables: TableIdentifier[] = []
    for await (const status of this.io.list(location)) {
      if (status.isDirectory && (await this.#isTableDirectory(status.location))) {
        tables.push({ namespace, name: baseName(status.location) })
      }
    }
    return tables
  }

  async dropTable(input: TableIdentifierInput, options: { purge?: boolean } = {}): Promise<void> {
    const id = parseTableIdentifier(input)
    const current = await this.#current(id)
    if (!current) throw tableNotFound(id)
    if (options.purge) {
      const table = new Table(this, id, current.metadata, current.metadataLocation)
      for (const file of await table.referencedFiles()) await this.io.delete(file)
      await this.#removeFormerLocations(id, current.metadata)
    }
    // As Java's HadoopCatalog: the table directory is the catalog entry, so it goes entirely.
    await this.io.delete(tableLocation(this.warehouse, id), { recursive: true })
    this.hooks.log({
      level: 'info',
      event: 'catalog.table.dropped',
      message: `Dropped table ${identifierToString(id)}${options.purge ? ' and purged its files' : ''}`,
      fields: { table: identifierToString(id), purge: options.purge === true },
    })
  }

  /**
   * After a purge, removes the directories a renamed table had under its old names once nothing
   * but empty directories is left in them, so that no phantom namespace remains. They are found
   * as the parents of the `metadata/` directories that held the table's manifest lists.
   */
  async #removeFormerLocations(id: TableIdentifier, metadata: TableMetadata): Promise<void> {
    const current = tableLocation(this.warehouse, id)
    const former = new Set<string>()
    for (const snapshot of metadata.snapshots) {
      const dir = parentLocation(snapshot.manifestList)
      const location = parentLocation(dir)
      if (baseName(dir) === 'metadata' && location !== current && location.startsWith(`${this.warehouse}/`)) {
        former.add(location)
      }
    }
    for (const location of former) {
      if (!(await this.#holdsAnyFile(location))) await this.io.delete(location, { recursive: true })
    }
  }

  async #holdsAnyFile(location: string): Promise<boolean> {
    try {
      for await (const status of this.io.list(location)) {
        if (!status.isDirectory || (await this.#holdsAnyFile(status.location))) return true
      }
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
    return false
  }

  /**
   * Renames a table. Iceberg metadata records absolute file locations, so the files stay where
   * they are: the new name gets a first metadata version that is the table's current metadata
   * with the new location (where new files will go), then the old name's metadata versions and
   * hint are removed. Its manifests and data files stay, and so its directory takes no new table.
   */
  async renameTable(fromInput: TableIdentifierInput, toInput: TableIdentifierInput): Promise<void> {
    const from = parseTableIdentifier(fromInput)
    const to = parseTableIdentifier(toInput)
    const current = await this.#current(from)
    if (!current) throw tableNotFound(from)
    if (!(await this.#isNamespace(namespaceLocation(this.warehouse, to.namespace)))) {
      throw namespaceNotFound(to.namespace)
    }
    const toLocation = tableLocation(this.warehouse, to)
    await this.#checkLocationFree(to, toLocation)
    const moved = applyUpdates(current.metadata, [{ action: 'set-location', location: toLocation }], {
      timestampMs: this.#now(),
    })
    try {
      await this.#writeVersion(to, undefined, moved)
    } catch (error) {
      if (error instanceof CommitConflictError) throw tableExists(to)
      throw error
    }
    // Only the old name's catalog entry goes: its manifests and data files stay where the
    // metadata records them, and are the renamed table's now.
    const fromMetadata = metadataDirectory(tableLocation(this.warehouse, from))
    for await (const status of this.io.list(fromMetadata)) {
      const name = baseName(status.location)
      if (name === VERSION_HINT_FILENAME || parseMetadataVersion(name) !== undefined) {
        await this.io.delete(status.location)
      }
    }
  }

  async commitTable(
    input: TableIdentifierInput,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
  ): Promise<CommitResult> {
    const id = parseTableIdentifier(input)
    const started = performance.now()
    const current = await this.#current(id)
    const tags = { catalog: this.name }
    try {
      if (!current && !requirements.some((r) => r.type === 'assert-create')) throw tableNotFound(id)
      checkRequirements(current?.metadata, requirements)
      let result: CommitResult
      if (current) {
        const applied = applyUpdates(current.metadata, updates, { timestampMs: this.#now() })
        // Nothing changed (say, properties set to the values they have): no new version.
        if (applied === current.metadata)
          return { metadata: applied, metadataLocation: current.metadataLocation }
        const next = withMetadataLogEntry(applied, current.metadataLocation, current.metadata.lastUpdatedMs)
        result = await this.#writeVersion(id, current, next)
      } else {
        result = await this.#createByCommit(id, updates)
      }
      this.hooks.counter('lake.catalog.commits', 1, tags)
      this.hooks.histogram('lake.catalog.commit.duration_ms', performance.now() - started, tags)
      return result
    } catch (error) {
      if (error instanceof CommitConflictError) this.hooks.counter('lake.catalog.commit_conflicts', 1, tags)
      throw error
    }
  }

  /**
   * Creates a table from the updates of an `assert-create` commit (a REST create transaction):
   * version 1 is written only if no other writer wrote it first. The table's location is the
   * catalog's, as for `createTable`; an update that moves it elsewhere is refused.
   */
  async #createByCommit(id: TableIdentifier, updates: readonly TableUpdate[]): Promise<CommitResult> {
    if (!(await this.#isNamespace(namespaceLocation(this.warehouse, id.namespace)))) {
      throw namespaceNotFound(id.namespace)
    }
    const location = tableLocation(this.warehouse, id)
    const timestampMs = this.#now()
    const metadata = applyUpdates(metadataBeforeCreate(updates, location, timestampMs), updates, {
      timestampMs,
    })
    if (metadata.location !== location) {
      throw new ValidationError(
        `A Hadoop catalog keeps ${identifierToString(id)} at ${location}, not at ${metadata.location}`,
        { context: { table: identifierToString(id), file: metadata.location } },
      )
    }
    // A create transaction that wrote data (CREATE TABLE AS) has already put its manifest
    // lists and manifests in the metadata folder: those files are this table's, not a
    // renamed table's.
    await this.#checkLocationFree(id, location, await this.#ownManifestFiles(metadata))
    return this.#writeVersion(id, undefined, metadata)
  }

  // -------------------------------------------------------------------------------- internals

  /**
   * Writes `next` as version `current.version + 1`: to a temporary file first, then renamed into
   * place only if that version is free. Losing the race is a retryable `CommitConflictError`
   * and leaves nothing behind; `version-hint.text` is updated after, and only as a hint.
   */
  async #writeVersion(
    id: TableIdentifier,
    current: Current | undefined,
    next: TableMetadata,
  ): Promise<CommitResult> {
    const dir = metadataDirectory(tableLocation(this.warehouse, id))
    const version = (current?.version ?? 0) + 1
    const gzip = next.properties['write.metadata.compression-codec']?.toLowerCase() === 'gzip'
    const finalLocation = joinLocation(dir, metadataFileName(version, gzip))
    const temp = joinLocation(dir, `${randomUUID()}.metadata.json`)
    const text = serializeTableMetadata(next)
    const bytes = new TextEncoder().encode(text)
    const payload = gzip ? gzipSync(bytes) : bytes
    await this.io.write(temp, payload)
    let renamed: boolean
    try {
      renamed = await this.io.renameIfAbsent(temp, finalLocation)
    } catch (error) {
      renamed = await this.#renameLanded(id, temp, finalLocation, payload, error)
    }
    if (!renamed) {
      await this.io.delete(temp)
      throw new CommitConflictError(
        `Version ${version} of ${identifierToString(id)} was committed by another writer`,
        { context: { table: identifierToString(id), file: finalLocation } },
      )
    }
    // The new version's length and modification time, asked while the hint is written, let the
    // next look at the table take the metadata it committed rather than read it back.
    const [status] = await Promise.all([
      this.io.stat(finalLocation).catch(() => undefined),
      this.#writeVersionHint(dir, version, id),
    ])
    if (status) this.#remember({ ...status, location: finalLocation }, next)
    this.#rememberVersion(dir, version, finalLocation)
    return { metadata: next, metadataLocation: finalLocation }
  }

  /**
   * After a rename that reported an error, whether it took place all the same (a connection
   * lost once the rename was done): then the version file holds exactly the bytes written, and
   * the commit stands; its files must not be cleaned up as a failed commit's would be. When the
   * version file is absent the rename failed and `error` stands; when it cannot be read, the
   * commit's state is unknown.
   */
  async #renameLanded(
    id: TableIdentifier,
    temp: string,
    finalLocation: string,
    payload: Uint8Array,
    error: unknown,
  ): Promise<boolean> {
    let found: Uint8Array
    try {
      found = await this.io.read(finalLocation)
    } catch (readError) {
      if (!(readError instanceof NotFoundError)) {
        throw new CommitStateUnknownError(
          `Cannot tell whether ${identifierToString(id)} was committed: the rename failed and ${finalLocation} cannot be read`,
          { cause: error, context: { table: identifierToString(id), file: finalLocation } },
        )
      }
      await this.io.delete(temp).catch(() => {})
      throw error
    }
    await this.io.delete(temp).catch(() => {})
    return found.byteLength === payload.byteLength && found.every((byte, i) => byte === payload[i])
  }

  async #writeVersionHint(dir: string, version: number, id: TableIdentifier): Promise<void> {
    try {
      await this.io.write(
        joinLocation(dir, VERSION_HINT_FILENAME),
        new TextEncoder().encode(String(version)),
        {
          overwrite: true,
        },
      )
    } catch (error) {
      // Readers probe for newer versions past the hint, so a stale hint is harmless.
      this.hooks.log({
        level: 'warn',
        event: 'catalog.version_hint.failed',
        message: `Could not update the version hint of ${identifierToString(id)}`,
        fields: { table: identifierToString(id), error },
      })
    }
  }

  /**
   * Reads the current version: the hint, then newer versions probed one by one, as Java does.
   * A hint naming a version that is not there (a file removed by hand) is no hint at all.
   */
  async #current(id: TableIdentifier): Promise<Current | undefined> {
    const dir = metadataDirectory(tableLocation(this.warehouse, id))
    // From the version last seen, when it is still there and none follows it: what the walk
    // from the hint finds (versions are renamed into place one after another), in one round trip.
    const seen = this.#versions.get(dir)
    if (seen) {
      const [file, newer] = await Promise.all([
        this.#statusOf(seen.location),
        this.#metadataFile(dir, seen.version + 1),
      ])
      if (file && !newer) {
        this.#rememberVersion(dir, seen.version, file.location)
        return {
          version: seen.version,
          metadata: await this.#metadataOf(file),
          metadataLocation: file.location,
        }
      }
    }
    const current = await this.#walk(dir)
    if (current) this.#rememberVersion(dir, current.version, current.metadataLocation)
    else this.#versions.delete(dir)
    return current
  }

  /** The current version by the hint, then newer versions probed one by one. */
  async #walk(dir: string): Promise<Current | undefined> {
    let version = await this.#hintedVersion(dir)
    if (version === undefined) return undefined
    let file = await this.#metadataFile(dir, version)
    if (!file && version > 0) {
      version = await this.#highestVersion(dir)
      if (version === undefined) return undefined
      file = await this.#metadataFile(dir, version)
    }
    for (;;) {
      const newer = await this.#metadataFile(dir, version + 1)
      if (!newer) break
      version += 1
      file = newer
    }
    if (!file) return undefined
    return { version, metadata: await this.#metadataOf(file), metadataLocation: file.location }
  }

  /** The metadata in a version file: as read before when the file is the same, else read now. */
  async #metadataOf(file: FileStatus): Promise<TableMetadata> {
    const known = this.#readMetadata.get(file.location)
    const metadata =
      known && known.length === file.length && known.modifiedMs === file.modifiedMs
        ? known.metadata
        : decodeMetadata(await this.io.read(file.location), file.location)
    this.#remember(file, metadata)
    return metadata
  }

  /** Keeps a version file's metadata as the most recently used. */
  #remember(file: FileStatus, metadata: TableMetadata): void {
    this.#readMetadata.delete(file.location)
    this.#readMetadata.set(file.location, { length: file.length, modifiedMs: file.modifiedMs, metadata })
    if (this.#readMetadata.size > READ_METADATA_KEPT) {
      this.#readMetadata.delete(this.#readMetadata.keys().next().value as string)
    }
  }

  /** Keeps a table's version as the most recently used. */
  #rememberVersion(dir: string, version: number, location: string): void {
    this.#versions.delete(dir)
    this.#versions.set(dir, { version, location })
    if (this.#versions.size > READ_METADATA_KEPT) {
      this.#versions.delete(this.#versions.keys().next().value as string)
    }
  }

  /** A file's status, or undefined when there is none (or a directory) at `location`. */
  async #statusOf(location: string): Promise<FileStatus | undefined> {
    try {
      const status = await this.io.stat(location)
      return status.isDirectory ? undefined : { ...status, location }
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      throw error
    }
  }

  async #hintedVersion(dir: string): Promise<number | undefined> {
    try {
      const text = new TextDecoder()
        .decode(await this.io.read(joinLocation(dir, VERSION_HINT_FILENAME)))
        .trim()
      const version = Number(text)
      if (Number.isSafeInteger(version) && version >= 0) return version
    } catch (error) {
      if (!(isLakeError(error) && error instanceof NotFoundError)) throw error
    }
    // No (or an unreadable) hint: the highest version present, as Java's findVersion falls back to.
    return this.#highestVersion(dir)
  }

  async #highestVersion(dir: string): Promise<number | undefined> {
    let highest: number | undefined
    try {
      for await (const status of this.io.list(dir)) {
        const version = parseMetadataVersion(baseName(status.location))
        if (version !== undefined && (highest === undefined || version > highest)) highest = version
      }
    } catch (error) {
      if (error instanceof NotFoundError) return undefined
      throw error
    }
    return highest
  }

  /** Version `version`'s file, plain or gzipped (both asked at once), or undefined. */
  async #metadataFile(dir: string, version: number): Promise<FileStatus | undefined> {
    const [plain, gzipped] = await Promise.all(
      [false, true].map((gzip) => this.#statusOf(joinLocation(dir, metadataFileName(version, gzip)))),
    )
    return plain ?? gzipped
  }

  async #isTableDirectory(location: string): Promise<boolean> {
    try {
      for await (const status of this.io.list(metadataDirectory(location))) {
        if (parseMetadataVersion(baseName(status.location)) !== undefined) return true
      }
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
    return false
  }

  /**
   * Whether the directory holds a table's files: a live table's, or those a renamed table still
   * references from its old location. Such a directory is neither a namespace nor free for a new
   * table, whose drop would delete the files with it.
   */
  async #holdsTableFiles(location: string, own: ReadonlySet<string> = new Set()): Promise<boolean> {
    try {
      for await (const status of this.io.list(metadataDirectory(location))) {
        if (!status.isDirectory && !own.has(status.location)) return true
      }
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
    return false
  }

  async #checkLocationFree(
    id: TableIdentifier,
    location: string,
    own: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    if (await this.#isTableDirectory(location)) throw tableExists(id)
    if (await this.#holdsTableFiles(location, own)) {
      throw new AlreadyExistsError(
        `Cannot use ${identifierToString(id)}: its directory holds the files of a renamed table`,
        { context: { table: identifierToString(id), file: location } },
      )
    }
  }

  /** The manifest lists of a new table's snapshots and the manifests they list. */
  async #ownManifestFiles(metadata: TableMetadata): Promise<Set<string>> {
    const own = new Set<string>()
    for (const snapshot of metadata.snapshots) {
      own.add(snapshot.manifestList)
      const list = readManifestList(await this.io.read(snapshot.manifestList), {
        file: snapshot.manifestList,
      })
      for (const manifest of list.manifests) own.add(manifest.manifestPath)
    }
    return own
  }

  async #isNamespace(location: string): Promise<boolean> {
    try {
      const status = await this.io.stat(location)
      return status.isDirectory && !(await this.#holdsTableFiles(location))
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
  }
}

const createHadoopCatalogOptionsSchema = z.object({
  warehouse: z.string().min(1),
  name: z.string().min(1).optional(),
  io: z.custom<FileIO>((v) => v === undefined || (typeof v === 'object' && v !== null)).optional(),
  hooks: z.custom<Partial<LakeHooks>>((v) => v === undefined || typeof v === 'object').optional(),
  now: z.custom<() => number>((v) => v === undefined || typeof v === 'function').optional(),
})

/** A URI stays as it is; a path, relative ones too, becomes a `file:` URI. */
function normaliseWarehouse(warehouse: string): string {
  const trimmed = warehouse.length > 1 ? warehouse.replace(/\/+$/, '') : warehouse
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(trimmed)) return trimmed
  return toFileUri(isAbsolute(trimmed) ? trimmed : resolve(trimmed))
}

function decodeMetadata(bytes: Uint8Array, location: string): TableMetadata {
  let text: string
  try {
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b
    text = new TextDecoder('utf-8', { fatal: true }).decode(gzipped ? gunzipSync(bytes) : bytes)
  } catch (error) {
    throw new CorruptFileError(`Cannot decode table metadata ${location}`, {
      cause: error,
      context: { file: location },
    })
  }
  return parseTableMetadata(text, location)
}

function namespaceNotFound(namespace: Namespace): NotFoundError {
  return new NotFoundError(`Namespace does not exist: ${namespace.join('.')}`, {
    context: { namespace: namespace.join('.') },
  })
}

function tableNotFound(id: TableIdentifier): NotFoundError {
  return new NotFoundError(`Table does not exist: ${identifierToString(id)}`, {
    context: { table: identifierToString(id) },
  })
}

function tableExists(id: TableIdentifier): AlreadyExistsError {
  return new AlreadyExistsError(`Table already exists: ${identifierToString(id)}`, {
    context: { table: identifierToString(id) },
  })
}
