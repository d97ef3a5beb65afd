// Known bugs of the reference implementations, kept in one place so the interop tests can allow
// for exactly these and still compare everything else exactly. Each has a test that pins it, so a
// fixed release shows up as a failing pin rather than as silently weaker tests.
import { type CanonicalRow, sortRows } from './canonical.js'
import type { TableRead } from './harness.js'

/**
 * PyIceberg 0.12 turns a null `list<struct<…>>` into `[]`, both when it reads and when it writes:
 * `ArrowProjectionVisitor.list` (pyiceberg/io/pyarrow.py) rebuilds lists of structs with
 * `pa.LargeListArray.from_arrays(list_array.offsets, value_array)`, which drops the list's
 * validity bitmap. Returns `read` with such `[]` put back to null wherever `reference` (a read
 * by Java or Lake) has the same row with null there.
 */
export function undoPyIcebergNullListOfStructs(
  read: TableRead,
  reference: TableRead,
  column: string,
): TableRead {
  const referenceRows = new Set(reference.rows.map((row) => JSON.stringify(row)))
  const rows = read.rows.map((row): CanonicalRow => {
    const value = row[column]
    if (!Array.isArray(value) || value.length > 0) return row
    const asNull = { ...row, [column]: null }
    return referenceRows.has(JSON.stringify(asNull)) && !referenceRows.has(JSON.stringify(row)) ? asNull : row
  })
  return { ...read, rows: sortRows(rows) }
}
