import { UnsupportedError } from '@lake/errors'
import type { RecordBatch } from 'apache-arrow'
import { bindReference } from '../expr/bind.js'
import { evaluateBatch } from '../expr/evaluator.js'
import { and, type BoundExpression, or } from '../expr/expressions.js'
import { valueKey } from '../expr/literals.js'
import type { FileIO } from '../io/file-io.js'
import { type DataFile, DataFileContent } from '../spec/data-file.js'
import { Schema } from '../spec/schema.js'
import { type IcebergType, Types } from '../spec/types.js'
import { readParquet } from './arrow-reader.js'
import { reader } from './arrow-rows.js'
import type { DeleteFileRef, FileScanTask } from './plan.js'

/**
 * Refuses a data or delete file Lake cannot decode (Avro or ORC data files, which other engines
 * may write) with an `UnsupportedError` naming it, before anything is read: such a file must
 * never be mistaken for a corrupt Parquet file, nor skipped.
 */
export function requireParquet(file: DataFile): void {
  if (file.fileFormat !== 'PARQUET') {
    throw new UnsupportedError(
      `Cannot read ${file.fileFormat} file ${file.filePath}: Lake reads Parquet data files`,
      {
        context: { file: file.filePath, format: file.fileFormat },
      },
    )
  }
}

/** Reserved field ids of position delete files (spec: "Position Delete Files"). */
const DELETE_FILE_PATH = 2147483546
const DELETE_POS = 2147483545

const POSITION_DELETE_SCHEMA = new Schema([
  { id: DELETE_FILE_PATH, name: 'file_path', required: true, type: Types.string },
  { id: DELETE_POS, name: 'pos', required: true, type: Types.long },
])

/** The positions deleted from the task's data file by its position delete files, if any. */
export async function positionDeletesFor(
  io: FileIO,
  task: FileScanTask,
  signal?: AbortSignal,
): Promise<Set<number> | undefined> {
  const files = task.deletes.filter((d) => d.file.content === DataFileContent.POSITION_DELETES)
  if (files.length === 0) return undefined
  const target = task.dataFile.filePath
  const positions = new Set<number>()
  for (const { file } of files) {
    requireParquet(file)
    for await (const batch of readParquet({
      file: await io.open(file.filePath),
      path: file.filePath,
      projectedSchema: POSITION_DELETE_SCHEMA,
      ...(signal ? { signal } : {}),
    })) {
      const paths = batch.getChildAt(0)!
      const pos = batch.getChildAt(1)!
      for (let i = 0; i < batch.numRows; i++) {
        if (paths.get(i) === target) positions.add(Number(pos.get(i)))
      }
    }
  }
  return positions
}

/** A filter that keeps the rows no equality delete file deletes, and the columns it reads. */
export interface EqualityDeleteFilter {
  fieldIds: number[]
  keep(batch: RecordBatch): Uint8Array
}

/**
 * Reads the equality delete files and builds one filter for them: a row is deleted when its
 * values of a file's equality columns equal those of a row of that file (nulls equal nulls, as
 * the spec says). Evaluated vectorised on each batch through the expression evaluator.
 */
export async function equalityDeleteFilter(
  io: FileIO,
  schema: Schema,
  refs: readonly DeleteFileRef[],
  signal?: AbortSignal,
): Promise<EqualityDeleteFilter | undefined> {
  if (refs.length === 0) return undefined
  const deleted: BoundExpression[] = []
  const fieldIds = new Set<number>()
  for (const { file } of refs) {
    requireParquet(file)
    const ids = file.equalityIds ?? []
    const fields = ids.map((id) => {
      const name = schema.findColumnName(id)
      const field = schema.findField(id)
      if (!name || !field || schema.parentId(id) !== undefined) {
        throw new UnsupportedError(
          `Equality delete file ${file.filePath} deletes by a column Lake cannot match (${id})`,
          {
            context: { file: file.filePath },
          },
        )
      }
      fieldIds.add(id)
      return field
    })
    const refsOfFile = fields.map((f) => bindReference(schema, f.name))
    const seen = new Set<string>()
    for await (const batch of readParquet({
      file: await io.open(file.filePath),
      path: file.filePath,
      projectedSchema: new Schema(fields),
      ...(signal ? { signal } : {}),
    })) {
      const readers = fields.map((field, i) => columnReader(batch, i, field.type))
      for (let row = 0; row < batch.numRows; row++) {
        const values = readers.map((read) => read(row))
        const key = values.map((v) => (v === null ? '\u0000' : valueKey(v))).join('\u0001')
        if (seen.has(key)) continue
        seen.add(key)
        deleted.push(
          and(
            ...values.map(
              (value, i): BoundExpression =>
                value === null
                  ? { kind: 'unary', op: 'isNull', term: refsOfFile[i]! }
                  : { kind: 'literal', op: 'eq', term: refsOfFile[i]!, literal: value },
            ),
          ),
        )
      }
    }
  }
  const anyDeleted = or(...deleted)
  return {
    fieldIds: [...fieldIds],
    keep(batch) {
      const mask = evaluateBatch(anyDeleted, batch)
      for (let i = 0; i < mask.length; i++) mask[i] = mask[i] ? 0 : 1
      return mask
    },
  }
}

/** Internal values of one column of a batch, by row, across its data chunks. */
function columnReader(batch: RecordBatch, index: number, type: IcebergType): (row: number) => unknown {
  const chunks = batch
    .getChildAt(index)!
    .data.map((data) => ({ length: data.length, read: reader(data, type) }))
  return (row) => {
    let offset = row
    for (const chunk of chunks) {
      if (offset < chunk.length) return chunk.read(offset)
      offset -= chunk.length
    }
    return null
  }
}
