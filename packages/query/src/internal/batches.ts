import { QueryError } from '@lake/errors'
import { makeData, RecordBatch, type Schema, Struct } from 'apache-arrow'
import { arrowSchema, columnBuilder, type TrinoColumn } from '../types/arrow.js'
import type { ColumnBuilder } from '../types/builders.js'

/**
 * Turns Trino's pages of JSON rows into Arrow record batches of `batchRows` rows: rows are
 * appended column by column (one builder per column) and cut into batches as they fill, so a
 * batch never depends on how the server sized its pages.
 */
export class BatchAssembler {
  readonly schema: Schema
  private readonly builders: ColumnBuilder[]
  private rows = 0

  constructor(
    private readonly columns: readonly TrinoColumn[],
    private readonly batchRows: number,
    private readonly queryId: string | undefined,
  ) {
    this.schema = arrowSchema(columns)
    this.builders = this.schema.fields.map((field, i) => columnBuilder(columns[i]!.type, field.type))
  }

  /** Rows buffered and not yet returned in a batch. */
  get buffered(): number {
    return this.rows
  }

  /** Appends a page's rows and returns the batches that filled up. */
  append(data: readonly unknown[][]): RecordBatch[] {
    const full: RecordBatch[] = []
    let start = 0
    while (start < data.length) {
      const end = Math.min(data.length, start + (this.batchRows - this.rows))
      this.appendRange(data, start, end)
      start = end
      if (this.rows === this.batchRows) full.push(this.flush())
    }
    return full
  }

  private appendRange(data: readonly unknown[][], start: number, end: number): void {
    for (let c = 0; c < this.builders.length; c++) {
      const builder = this.builders[c]!
      try {
        builder.appendColumn(data, c, start, end)
      } catch (error) {
        const column = this.columns[c]!
        // Found again (off the hot path) to name the value in the message.
        const r = start + builder.length - this.rows
        throw new QueryError(
          `Cannot convert the value ${JSON.stringify(data[r]?.[c])} of column ${column.name} (${column.type.signature}) to Arrow: ${(error as Error).message}`,
          {
            cause: error,
            context: { queryId: this.queryId, field: column.name, type: column.type.signature },
          },
        )
      }
    }
    this.rows += end - start
  }

  /** The buffered rows as one batch (possibly empty). */
  flush(): RecordBatch {
    const length = this.rows
    const children = this.builders.map((builder) => builder.finish())
    this.rows = 0
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children })
    return new RecordBatch(this.schema, data)
  }
}
