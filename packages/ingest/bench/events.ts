// The benchmarks' events: the table's schema and the JSON of event `i`.
import { col, defineSchema } from '@lake/catalog'

export const Events = defineSchema({
  id: col.long().required(),
  ts: col.timestamptz().required(),
  user: col.string().required(),
  kind: col.string().required(),
  country: col.string(),
  amount: col.decimal(10, 2),
  qty: col.int(),
  price: col.double(),
  flag: col.boolean(),
  note: col.string(),
})
const KINDS = ['view', 'click', 'purchase', 'signup']
const COUNTRIES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN']

/** Event `i` as JSON, about 200 bytes, 10 fields. */
export function event(i: number, at = 1_764_000_000_000 + i): string {
  return JSON.stringify({
    id: i,
    ts: new Date(at).toISOString(),
    user: `user-${(i * 7919) % 250_000}`,
    kind: KINDS[i % 4],
    country: COUNTRIES[i % 6],
    amount: ((i % 100_000) / 100).toFixed(2),
    qty: i % 17,
    price: (i % 1000) / 7,
    flag: i % 3 === 0,
    note: `note ${i.toString(36)} ${'x'.repeat(20 + (i % 20))}`,
  })
}
