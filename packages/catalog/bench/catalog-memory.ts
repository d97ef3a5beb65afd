/**
 * The child processes of the memory benchmark, so that each peak RSS is a process's own:
 *
 *   write <warehouse> <table> <rows> <chunk> <days>   appends <rows> rows in appends of <chunk>
 *   scan  <warehouse> <table>                         streams a full scan, sampling RSS
 *
 * Each prints one JSON object on stdout.
 *
 * @module
 */
import { HadoopCatalog } from '../src/index.js'
import { Events, makeRows } from './catalog-data.js'

async function write(warehouse: string, name: string, rows: number, chunk: number, days: number) {
  const catalog = new HadoopCatalog({ warehouse })
  if (!(await catalog.namespaceExists('bench'))) await catalog.createNamespace('bench')
  const table = await catalog.createTable(`bench.${name}`, { schema: Events })
  const start = performance.now()
  for (let first = 0; first < rows; first += chunk) {
    await table.append(makeRows(first, Math.min(chunk, rows - first), days, rows) as never)
  }
  return { metadataLocation: table.metadataLocation, ms: performance.now() - start }
}

async function scan(warehouse: string, name: string) {
  const table = await new HadoopCatalog({ warehouse }).loadTable(`bench.${name}`)
  const baseline = process.memoryUsage.rss()
  let peak = baseline
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 10)
  const start = performance.now()
  let rows = 0
  let batches = 0
  for await (const batch of table.scan().batches()) {
    rows += batch.numRows
    batches += 1
    peak = Math.max(peak, process.memoryUsage.rss())
  }
  const ms = performance.now() - start
  clearInterval(timer)
  // The kernel's high-water mark catches what sampling between batches could miss.
  const maxRss = process.resourceUsage().maxRSS * 1024
  return { rows, batches, ms, baselineRss: baseline, peakRss: Math.max(peak, maxRss) }
}

const [mode, warehouse, name, ...rest] = process.argv.slice(2)
const result =
  mode === 'write'
    ? await write(warehouse!, name!, Number(rest[0]), Number(rest[1]), Number(rest[2]))
    : await scan(warehouse!, name!)
console.log(JSON.stringify(result))
