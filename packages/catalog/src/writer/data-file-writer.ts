/**
 * One Parquet data file from rows already in memory: the table writer's entry point to the file
 * layer in `parquet-writer.ts`.
 *
 * @module
 */
import type { Schema } from '../spec/schema.js'
import { columnBatch } from './column-batch.js'
import { ParquetFileWriter, type WrittenDataFile } from './parquet-writer.js'

export { type ParquetCodec, parquetCodec, type WrittenDataFile } from './parquet-writer.js'

/**
 * Writes rows of internal values as one Parquet data file, for a caller that already holds one
 * file's worth of rows (the fan-out table writer, after rolling); streaming callers use
 * {@link ParquetFileWriter} and `RollingFileWriter` instead.
 */
export async function writeDataFile(
  schema: Schema,
  rows: readonly Readonly<Record<string, unknown>>[],
  properties: Readonly<Record<string, string>>,
): Promise<WrittenDataFile> {
  const writer = new ParquetFileWriter({ schema, properties })
  await writer.write(columnBatch(schema, rows))
  return writer.close()
}
