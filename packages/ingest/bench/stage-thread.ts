// The ingest-stages benchmark's worker thread: reads and appends what the main thread hands it.
import { parentPort, workerData } from 'node:worker_threads'
import { hdfsCatalog } from '../test/stack.js'
import { StageWork } from './stage-work.js'

/** A batch's values in one buffer, value `i` ending at `ends[i]`; or the end of the input. */
export type StageMessage = { values: ArrayBuffer; ends: Int32Array } | { end: true }

const { warehouse, appendRows } = workerData as { warehouse: string; appendRows: number }
const table = await hdfsCatalog(warehouse).loadTable('bench.events')
const work = new StageWork(table, appendRows)
const port = parentPort!
port.on('message', (message: StageMessage) => {
  if ('end' in message) {
    work.end().then(
      (done) => port.postMessage(done),
      (error: unknown) => port.postMessage({ error: String(error) }),
    )
    return
  }
  const values = Buffer.from(message.values)
  let start = 0
  for (const end of message.ends) {
    work.read(values.subarray(start, end))
    start = end
  }
})
port.postMessage('ready')
