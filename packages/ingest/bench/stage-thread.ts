// The ingest-stages benchmark's worker thread: reads and appends what the main thread hands it,
// or, given no warehouse, only parses each value with JSON.parse.
import { parentPort, workerData } from 'node:worker_threads'
import { hdfsCatalog } from '../test/stack.js'
import { StageWork } from './stage-work.js'

/** A batch's values in one buffer, value `i` ending at `ends[i]`; or the end of the input. */
export type StageMessage = { values: ArrayBuffer; ends: Int32Array } | { end: true }

const { warehouse, appendRows } = workerData as { warehouse?: string; appendRows: number }
const parseOnly = warehouse === undefined
const table = parseOnly ? undefined : await hdfsCatalog(warehouse).loadTable('bench.events')
const work = new StageWork(table, appendRows)
let parsed = 0
const port = parentPort!
port.on('message', (message: StageMessage) => {
  if ('end' in message) {
    if (parseOnly) {
      port.postMessage({ rows: parsed })
      return
    }
    work.end().then(
      (done) => port.postMessage(done),
      (error: unknown) => port.postMessage({ error: String(error) }),
    )
    return
  }
  const values = Buffer.from(message.values)
  let start = 0
  for (const end of message.ends) {
    if (parseOnly) {
      JSON.parse(values.toString('utf8', start, end))
      parsed++
    } else {
      work.read(values.subarray(start, end))
    }
    start = end
  }
})
port.postMessage('ready')
