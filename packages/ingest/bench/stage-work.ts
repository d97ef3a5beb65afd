// The per-record work of the ingest-stages benchmark, on the main thread or on a worker thread.
import { type ColumnBatch, ColumnBuilder, type Table } from '@lake/catalog'
import { JsonRowReader } from '../src/json-row.js'
import { Events } from './events.js'

/**
 * The worker's per-record work without its machinery: each value read by the JSON row reader
 * into the table's typed columns (`JsonRowReader.readInto` a typed `ColumnBuilder`), and, given a
 * table, every `appendRows` rows appended to it (`Table.appendColumns`: Parquet with zstd, the
 * files written, a snapshot committed), one append at a time while reading goes on, as the
 * worker commits.
 */
export class StageWork {
  readonly #reader = new JsonRowReader(Events.schema, false)
  readonly #table: Table | undefined
  readonly #appendRows: number
  #builder = new ColumnBuilder(Events.schema, { typed: true })
  #appending: Promise<void> = Promise.resolve()
  #failed: unknown
  rows = 0
  appends = 0

  constructor(table: Table | undefined, appendRows: number) {
    this.#table = table
    this.#appendRows = appendRows
  }

  /** Reads one value; the benchmark's events are never declined. */
  read(value: Buffer): void {
    if (!this.#reader.readInto(value, this.#builder)) throw new Error('the reader declined a benchmark event')
    this.rows++
    if (this.#builder.rowCount >= this.#appendRows) this.#append()
  }

  #append(): void {
    const batch = this.#builder.take()
    if (!this.#table || batch.rowCount === 0) return
    const table = this.#table
    this.#appending = this.#appending.then(() => this.#appendOne(table, batch))
  }

  async #appendOne(table: Table, batch: ColumnBatch): Promise<void> {
    try {
      await table.appendColumns([batch], { schemaId: Events.schema.schemaId })
      this.appends++
    } catch (error) {
      this.#failed ??= error
    }
  }

  /** Appends what is left and waits for every append. */
  async end(): Promise<{ rows: number; appends: number }> {
    this.#append()
    await this.#appending
    if (this.#failed !== undefined) throw this.#failed
    return { rows: this.rows, appends: this.appends }
  }
}
