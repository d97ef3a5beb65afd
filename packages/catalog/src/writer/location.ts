/**
 * Where data files go: Iceberg Java's `DefaultLocationProvider` (the data directory and the
 * partition path) and `OutputFileFactory` (the file name), so that files land where Java, Spark
 * and PyIceberg would put them.
 *
 * @module
 */
import type { PartitionSpec } from '../spec/partition-spec.js'
import type { Schema } from '../spec/schema.js'
import { transformHumanString } from '../spec/transforms.js'
import type { PrimitiveType } from '../spec/types.js'

const WRITE_DATA_PATH = 'write.data.path'
/** The deprecated name of `write.data.path`, which Java still honours. */
const WRITE_FOLDER_STORAGE_PATH = 'write.folder-storage.path'

/**
 * The directory of a table's data files: `write.data.path`, else the deprecated
 * `write.folder-storage.path`, else `<table location>/data`, without a trailing slash.
 */
export function dataLocation(tableLocation: string, properties: Readonly<Record<string, string>>): string {
  const configured = properties[WRITE_DATA_PATH] ?? properties[WRITE_FOLDER_STORAGE_PATH]
  return stripTrailingSlash(configured ?? `${stripTrailingSlash(tableLocation)}/data`)
}

function stripTrailingSlash(location: string): string {
  let end = location.length
  // Keep the slashes of a bare scheme (`s3://`), as Java's `LocationUtil.stripTrailingSlash` does.
  while (end > 0 && location[end - 1] === '/' && !location.slice(0, end).endsWith('://')) end -= 1
  return location.slice(0, end)
}

/**
 * Java's `URLEncoder.encode(text, UTF_8)`, the escaping of partition paths: letters, digits and
 * `.-*_` stay, a space becomes `+`, every other UTF-8 byte `%XX`. Not `encodeURIComponent`,
 * which keeps `!'()~` and writes a space as `%20`, and so would name another directory.
 */
export function javaUrlEncode(text: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9.\-*_]/.test(c)) out += c
    else if (byte === 0x20) out += '+'
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/**
 * A partition's directory under the data location, as Java's `PartitionSpec.partitionToPath`:
 * `name=value` for every field (void fields included), values as the transform's human string,
 * both URL-escaped, joined by `/`. `partition` holds internal values in the spec's field order.
 *
 * @example
 * ```ts
 * partitionPath(spec, schema, [19727, 'a b']) // 'ts_day=2024-01-05/category=a+b'
 * ```
 */
export function partitionPath(spec: PartitionSpec, schema: Schema, partition: readonly unknown[]): string {
  return spec.fields
    .map((field, i) => {
      const source = schema.findField(field.sourceId)
      const human = transformHumanString(
        field.transform,
        source?.type as PrimitiveType,
        partition[i] === undefined ? null : partition[i],
      )
      return `${javaUrlEncode(field.name)}=${javaUrlEncode(human)}`
    })
    .join('/')
}

/** Options of {@link OutputFileFactory}. */
export interface OutputFileFactoryOptions {
  /** The table's location, `location` of its metadata. */
  tableLocation: string
  /** Table properties, for `write.data.path`. */
  properties: Readonly<Record<string, string>>
  /** The spec the files are written with, and the schema its source ids refer to. */
  spec: PartitionSpec
  schema: Schema
  /** Java's partition id (the Spark partition); 0 for a single writer. */
  partitionId?: number
  /** Java's task id (the Spark task attempt); 0 for a single writer. */
  taskId?: number
  /** Java's operation id, the same for every file of one write; a random UUID when omitted. */
  operationId?: string
  /** Appended to the operation id, as Java's `OutputFileFactory.suffix`. */
  suffix?: string
  /** The source of random UUIDs, to make names reproducible in tests. */
  randomUUID?: () => string
}

/**
 * Names the data files of one write: `<data location>/<partition path>/<partition id>-<task id>-
 * <operation id>-<file count>.parquet`, with the partition id and count zero-padded to 5 digits
 * and the count starting at 1, as Java's `OutputFileFactory` and `DefaultLocationProvider` do.
 * One factory per write keeps names unique: the operation id is random, the count increments.
 *
 * `write.object-storage.enabled` (Java's hashed `ObjectStoreLocationProvider`) is not followed:
 * files go to the default layout, which every reader accepts since manifests hold full paths.
 *
 * @example
 * ```ts
 * const files = new OutputFileFactory({ tableLocation, properties, spec, schema })
 * files.newDataLocation([19727]) // 's3://b/t/data/ts_day=2024-01-05/00000-0-<uuid>-00001.parquet'
 * ```
 */
export class OutputFileFactory {
  readonly #dataLocation: string
  readonly #spec: PartitionSpec
  readonly #schema: Schema
  readonly #prefix: string
  #fileCount = 0

  constructor(options: OutputFileFactoryOptions) {
    this.#dataLocation = dataLocation(options.tableLocation, options.properties)
    this.#spec = options.spec
    this.#schema = options.schema
    const operationId = options.operationId ?? (options.randomUUID ?? (() => crypto.randomUUID()))()
    const suffix = options.suffix === undefined ? '' : `-${options.suffix}`
    this.#prefix = `${pad5(options.partitionId ?? 0)}-${options.taskId ?? 0}-${operationId}${suffix}`
  }

  /** The next file name: `00000-0-<operation id>-00001.parquet`, then `…-00002.parquet`. */
  newFileName(): string {
    this.#fileCount += 1
    return `${this.#prefix}-${pad5(this.#fileCount)}.parquet`
  }

  /** The full location of the next data file of a partition (internal values, the spec's order). */
  newDataLocation(partition: readonly unknown[]): string {
    const name = this.newFileName()
    if (this.#spec.fields.length === 0) return `${this.#dataLocation}/${name}`
    return `${this.#dataLocation}/${partitionPath(this.#spec, this.#schema, partition)}/${name}`
  }
}

/** Java's `%05d`: at least five digits, a minus sign before the padding. */
function pad5(n: number): string {
  return n < 0 ? `-${String(-n).padStart(4, '0')}` : String(n).padStart(5, '0')
}
