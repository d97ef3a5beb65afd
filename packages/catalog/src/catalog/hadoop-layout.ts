import { joinLocation } from '../io/file-io.js'
import type { Namespace, TableIdentifier } from './identifier.js'

/**
 * The on-storage layout of Apache Iceberg Java's `HadoopCatalog`, which Lake keeps byte for
 * byte so Java, Spark, PyIceberg and Trino (through Lake's REST endpoint) read the same tables:
 *
 * ```
 * <warehouse>/<ns1>/<ns2>/<table>/metadata/v<N>.metadata.json
 * <warehouse>/<ns1>/<ns2>/<table>/metadata/version-hint.text   (holds "<N>", no newline)
 * <warehouse>/<ns1>/<ns2>/<table>/metadata/snap-*.avro, *-m0.avro
 * <warehouse>/<ns1>/<ns2>/<table>/data/...
 * ```
 *
 * @module
 */

/** The name of the file that points at the current metadata version. */
export const VERSION_HINT_FILENAME = 'version-hint.text'

const METADATA_FILE = /^v(\d+)(\.gz)?\.metadata\.json$/

/** The directory of a namespace. */
export function namespaceLocation(warehouse: string, namespace: Namespace): string {
  return joinLocation(warehouse, ...namespace)
}

/** The directory of a table, which is also its `location` in the metadata. */
export function tableLocation(warehouse: string, id: TableIdentifier): string {
  return joinLocation(warehouse, ...id.namespace, id.name)
}

/** The `metadata/` directory of a table. */
export function metadataDirectory(tableDir: string): string {
  return joinLocation(tableDir, 'metadata')
}

/** The name of metadata version `version` (gzip-compressed when the table says so, as Java names it). */
export function metadataFileName(version: number, gzip = false): string {
  return `v${version}${gzip ? '.gz' : ''}.metadata.json`
}

/** The version number of a metadata file name, or undefined if the name is not one. */
export function parseMetadataVersion(fileName: string): number | undefined {
  const match = METADATA_FILE.exec(fileName)
  return match ? Number(match[1]) : undefined
}

/** Whether a metadata file name says gzip, as `v3.gz.metadata.json` does. */
export function isGzipMetadata(fileName: string): boolean {
  return METADATA_FILE.exec(fileName)?.[2] === '.gz'
}
