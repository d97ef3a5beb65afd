// Reads benchmark events, some in other key orders, with a JSON row reader that compiles each
// layout at once, and prints the columns it built (as JSON) and whether code could be generated:
// json-row.test.ts runs it with code generation from strings disallowed.
import { ColumnBuilder } from '@lake/catalog'
import { Events, event } from '../bench/events.js'
import { JsonRowReader } from '../src/json-row.js'

const reader = new JsonRowReader(Events.schema, false, 0)
const builder = new ColumnBuilder(Events.schema, { typed: true })
let accepted = 0
for (let i = 0; i < 300; i++) {
  const value = JSON.parse(event(i)) as Record<string, unknown>
  // Every third record with its keys reversed: a second layout, read in turn with the first.
  const json = i % 3 === 2 ? JSON.stringify(Object.fromEntries(Object.entries(value).reverse())) : event(i)
  if (reader.readInto(Buffer.from(json, 'utf8'), builder)) accepted++
}
let codeGeneration = true
try {
  new Function('return 0')
} catch {
  codeGeneration = false
}
const columns = builder.take().columns
console.log(
  JSON.stringify({ codeGeneration, accepted, columns }, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
)
