/**
 * Helpers shared by the writer's tests: every primitive type with an arbitrary of its internal
 * values, a file's bytes as the `ArrayBuffer` hyparquet reads, and its rows as stored. Not exported from the package.
 *
 * @module
 */
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { primitives } from '../spec/test-helpers.js'

/** Every primitive type with its internal values, strings and binaries of up to 24 units. */
export const PRIMITIVES = primitives({ maxLength: 24 })

/** The bytes of a file as an `ArrayBuffer` of their own. */
export const arrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer

/** A Parquet file's rows read back with every value as Parquet stores it (no conversions). */
export async function readStored(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const file = arrayBuffer(bytes)
  const footer = parquetMetadata(file)
  const metadata = {
    ...footer,
    schema: footer.schema.map((e) => ({ ...e, converted_type: undefined, logical_type: undefined })),
  }
  return parquetReadObjects({ file, metadata, compressors, utf8: false })
}
