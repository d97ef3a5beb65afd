import type { RecordMeta } from '../src/decode.js'

/** The metadata of a record at offset 0 of partition 0 of topic `t`, no key, no headers. */
export const recordMeta: RecordMeta = {
  topic: 't',
  partition: 0,
  offset: 0n,
  timestamp: new Date(0),
  key: null,
  headers: {},
}
