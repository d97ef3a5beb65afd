/**
 * Lake's table operations against baselines measured in the same run: writing (raw
 * hyparquet-writer, PyIceberg), scanning to Arrow (raw hyparquet into apache-arrow vectors,
 * parquet-wasm, PyIceberg), partition pruning, commit latency as manifests pile up, and the peak
 * RSS of a 10M-row streaming scan. Prints a Markdown section for docs/benchmarks.md.
 *
 * Run: `pnpm bench catalog` (about 10 minutes on 2 cores), or with `--quick` (or
 * `LAKE_BENCH_QUICK=1`) for every size divided by 10. PyIceberg runs from the interop harness's
 * virtualenv (`sh packages/interop/setup.sh`), or `LAKE_BENCH_PYTHON`; without it the section says
 * so and the rest still runs.
 */
import { execSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { freemem, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { median, percentile } from '@lake/devtools/stats'
import type { Table as ArrowTable } from 'apache-arrow'
import { parquetMetadata } from 'hyparquet'
import { and, type FileIO, gtEq, HadoopCatalog, LocalFileIO, lt, type Table } from '../src/index.js'
import { readManifestList } from '../src/spec/manifest-list.js'
import { hyparquetToArrow, parquetWasmToArrow, rawWrite } from './catalog-baselines.js'
import { DAY_MS, type EventRow, Events, makeRows, START_MS } from './catalog-data.js'
import { type PyResult, pyiceberg } from './catalog-pyiceberg.js'

const QUICK = process.argv.includes('--quick') || process.env.LAKE_BENCH_QUICK === '1'
const DIV = QUICK ? 10 : 1
const WRITE_ROWS = 1_000_000 / DIV
const WRITE_DAYS = 10
const WRITE_RUNS = 3
const SCAN_RUNS = 5
const PRUNE_FILES = 1000 / DIV
const PRUNE_APPENDS = 10
const PRUNE_ROWS_PER_FILE = 100
const PLAN_RUNS = 9
const COMMITS = 200 / DIV
const COMMIT_BUCKET = 50 / DIV
const COMMIT_ROWS = 5
const MEMORY_ROWS = 10_000_000 / DIV
const MEMORY_CHUNK = 1_000_000 / DIV
const GIB = 1024 ** 3

const here = dirname(fileURLToPath(import.meta.url))
const started = performance.now()
const loadAtStart = loadavg()[0]!
const out: string[] = []
const print = (line = '') => out.push(line)
const progress = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`)

// ------------------------------------------------------------------------------------- helpers

/**
 * Runs contenders in interleaved rounds, rotating who goes first, with a full GC before each,
 * so that the noise of a shared machine falls on all alike. Each contender returns the
 * milliseconds of the part it measures (setup such as creating a table is left out).
 */
async function race<T = number>(
  contenders: Record<string, (round: number) => Promise<T>>,
  runs: number,
): Promise<Record<string, T[]>> {
  const names = Object.keys(contenders)
  const times: Record<string, T[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 1; round <= runs; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round - 1) % names.length]!
      globalThis.gc?.()
      times[name]!.push(await contenders[name]!(round))
    }
  }
  return times
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await run()
  return performance.now() - start
}

/**
 * What one run of a write contender cost. Both contenders are single-threaded JavaScript in this
 * process and nothing else runs in it meanwhile, so the process's CPU time during a run is the
 * work that run did, whatever else loads the machine: `process.cpuUsage()` is process-wide
 * (getrusage), so it covers every thread the run keeps busy — V8's GC and compiler helpers, and
 * libuv's pool, where `fs.promises.writeFile` does its writes — and GC during the run is in it.
 */
interface WriteCost {
  /** Wall-clock ms of the run. */
  wallMs: number
  /** CPU ms of the whole process during the run, user + system, all threads. */
  cpuMs: number
  /** CPU ms of the main (JavaScript) thread alone, from /proc (Linux; `NaN` elsewhere). */
  mainCpuMs: number
  /** ms the event loop sat idle during the run: waiting for I/O, not working. */
  idleMs: number
  /**
   * CPU ms of collecting the garbage the run left, outside `cpuMs`: a full GC right after the run
   * less a second one with nothing left to collect. Both mostly mark the rows the contenders
   * share; the difference is what this run's leftovers cost.
   */
  leftoverGcMs: number
}

/** Clock ticks per second of /proc's CPU times. */
const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { stdio: ['ignore', 'pipe', 'ignore'] }).toString()) || 100
  } catch {
    return 100
  }
})()

/** CPU ms of the main thread so far (its user + system ticks in /proc), or `NaN` without /proc. */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of proc(5), utime and stime; the slice starts at field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
  } catch {
    return Number.NaN
  }
}

async function costed(run: () => Promise<unknown>): Promise<WriteCost> {
  const loop = performance.eventLoopUtilization()
  const main = mainThreadCpuMs()
  const cpu = process.cpuUsage()
  const start = performance.now()
  await run()
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  const mainCpuMs = mainThreadCpuMs() - main
  const idleMs = performance.eventLoopUtilization(loop).idle
  const gcMs = () => {
    const before = process.cpuUsage()
    globalThis.gc?.()
    const gc = process.cpuUsage(before)
    return (gc.user + gc.system) / 1000
  }
  const leftoverGcMs = gcMs() - gcMs()
  return { wallMs, cpuMs: (used.user + used.system) / 1000, mainCpuMs, idleMs, leftoverGcMs }
}

const seconds = (ms: number) => (ms / 1000).toFixed(2)
const rate = (rows: number, ms: number) => `${(((rows / ms) * 1000) / 1e6).toFixed(2)} M`
const ratio = (x: number) => `${x.toFixed(2)}×`
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`
const goal = (met: boolean) => (met ? '**met**' : '**missed**')
const count = (n: number) => n.toLocaleString('en')

/** A `FileIO` that counts what is read, to show which files a scan touched. */
class CountingFileIO extends LocalFileIO {
  opened: string[] = []
  wholeReads: string[] = []
  override async open(location: string) {
    this.opened.push(location)
    return super.open(location)
  }
  override async read(location: string) {
    this.wholeReads.push(location)
    return super.read(location)
  }
  reset() {
    this.opened = []
    this.wholeReads = []
  }
}

/** Runs catalog-memory.ts in a child node with this process's flags (tsx, lake-source). */
function child<T>(args: readonly (string | number)[]): Promise<T> {
  return new Promise((done, fail) => {
    const proc = spawn(
      process.execPath,
      [...process.execArgv, join(here, 'catalog-memory.ts'), ...args.map(String)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let text = ''
    proc.stdout.on('data', (chunk: Buffer) => {
      text += chunk
    })
    proc.on('error', fail)
    proc.on('close', (code) => {
      if (code !== 0) fail(new Error(`catalog-memory.ts ${args[0]} exited with ${code}`))
      else done(JSON.parse(text.trim().split('\n').at(-1)!) as T)
    })
  })
}

const why = (result: PyResult<unknown>) => (result.ok ? '' : result.reason)

// ------------------------------------------------------------------------------------- sections

async function writeSection(warehouse: string, rows: EventRow[]) {
  const catalog = new HadoopCatalog({ warehouse })
  await catalog.createNamespace('bench')
  const warm = await catalog.createTable('bench.warmup', { schema: Events })
  await warm.append(rows.slice(0, 10) as never)
  const rawDir = join(warehouse, 'raw')
  await mkdir(rawDir)
  const tables: Record<string, Table> = {}
  const sizes: Record<string, number> = {}
  const create = async (name: string, partitioned: boolean) => {
    tables[name] = await catalog.createTable(`bench.${name}`, {
      schema: Events,
      ...(partitioned ? { partitionBy: [{ source: 'ts', transform: 'day' }] } : {}),
    })
    return tables[name]!
  }
  const contenders = (data: EventRow[], tag: string) => ({
    raw: (round: number) =>
      costed(async () => {
        sizes.raw = await rawWrite(data, join(rawDir, `${tag}raw-${round}.parquet`))
      }),
    lake: async (round: number) => {
      const table = await create(`${tag}unpartitioned_${round}`, false)
      return costed(() => table.append(data as never))
    },
    lakeByDay: async (round: number) => {
      const table = await create(`${tag}by_day_${round}`, true)
      return costed(() => table.append(data as never))
    },
  })
  progress(`write: warm-up with ${count(rows.length / 10)} rows`)
  await race(contenders(rows.slice(0, rows.length / 10), 'warm_'), 1)
  progress(`write: ${WRITE_RUNS} interleaved rounds of ${count(rows.length)} rows`)
  const costs = await race(contenders(rows, ''), WRITE_RUNS)
  // Each round's costs, for ratios paired within a round on a machine whose load drifts.
  for (let r = 0; r < WRITE_RUNS; r++) {
    const line = Object.entries(costs).map(([name, list]) => {
      const c = list[r]!
      return `${name} wall ${seconds(c.wallMs)} cpu ${seconds(c.cpuMs)} (main ${seconds(c.mainCpuMs)}, idle ${seconds(c.idleMs)}, leftover GC ${seconds(c.leftoverGcMs)})`
    })
    progress(`write: round ${r + 1} s: ${line.join('; ')}`)
  }
  const lakeTable = tables.unpartitioned_1!
  const byDayTable = tables.by_day_1!
  const [lakePlan, byDayPlan] = await Promise.all([
    lakeTable.scan().planFiles(),
    byDayTable.scan().planFiles(),
  ])
  const fileBytes = (plan: typeof lakePlan) =>
    plan.tasks.reduce((n, t) => n + Number(t.dataFile.fileSizeInBytes), 0)
  // Both wrote every row, in the same layout: as many rows and row groups in raw's file as in Lake's.
  const footer = async (location: string) => parquetMetadata((await readFile(location)).buffer as ArrayBuffer)
  const rawFooter = await footer(join(rawDir, 'raw-1.parquet'))
  const lakeFooter = await footer(fileURLToPath(lakePlan.tasks[0]!.dataFile.filePath))
  const written = (plan: typeof lakePlan) =>
    plan.tasks.reduce((n, t) => n + Number(t.dataFile.recordCount), 0)
  if (
    Number(rawFooter.num_rows) !== rows.length ||
    written(lakePlan) !== rows.length ||
    written(byDayPlan) !== rows.length ||
    lakePlan.tasks.length !== 1 ||
    rawFooter.row_groups.length !== lakeFooter.row_groups.length
  ) {
    throw new Error(
      `write: raw wrote ${rawFooter.num_rows} rows in ${rawFooter.row_groups.length} row groups, Lake ${written(lakePlan)} in ` +
        `${lakePlan.tasks.length} file(s) of ${lakeFooter.row_groups.length} row groups, by day ${written(byDayPlan)}; expected ${rows.length}`,
    )
  }

  progress('write: PyIceberg append')
  const py = await pyiceberg<{ unpartitioned: number[]; partitioned: number[]; rows: number }>([
    'append',
    join(rawDir, 'raw-1.parquet'),
    join(warehouse, 'pyiceberg'),
    WRITE_RUNS,
  ])

  const wall = (name: string) => median(costs[name]!.map((c) => c.wallMs))
  const cpu = (name: string) => median(costs[name]!.map((c) => c.cpuMs))
  /** The median over rounds of raw's time / the contender's, paired within each round. */
  const paired = (name: string, of: (c: WriteCost) => number) =>
    median(costs[name]!.map((c, r) => of(costs.raw![r]!) / of(c)))
  const ofWall = (c: WriteCost) => c.wallMs
  const ofCpu = (c: WriteCost) => c.cpuMs
  const raw = wall('raw')
  const lake = wall('lake')
  const byDay = wall('lakeByDay')
  const n = rows.length
  print(`### Write: ${count(n)} rows × 8 columns, zstd\n`)
  print(
    `Rows are JS objects (\`bigint\` id, \`Date\` ts, strings of ${6} and ~250k distinct values, double, int, ` +
      'decimal(10,2) given as a number, boolean; nulls in the optional columns), spread over ' +
      `${WRITE_DAYS} days. Both writers use Lake's default Parquet layout (row groups of up to 1,048,576 rows, ` +
      '1 MiB pages, dictionaries up to 2 MiB); row and row-group counts are checked. ' +
      `${WRITE_RUNS} interleaved rounds after a warm-up, rotating who goes first, a full GC before each run; ` +
      'each run writes a new table (or file). Ratio = raw time / Lake time (above 1: Lake faster), the median over ' +
      'rounds of the ratio within each round.\n',
  )
  print(
    "CPU time is the process's (`process.cpuUsage()`, user + system, all threads) during the run, the same window as wall time. " +
      'Both are single-threaded JavaScript in this process with nothing else running in it, so CPU time is the work each does, ' +
      "while wall time also holds whatever else the machine runs. All threads count: V8's GC and compiler helpers and " +
      "libuv's pool, where `fs.promises.writeFile` writes the file (neither writer has worker threads of its own). " +
      'GC during a run is in its CPU time; collecting the garbage it leaves behind is not, and is shown apart below.\n',
  )
  print(
    '| writer | median wall s | rows/s | vs raw, wall | median CPU s | rows per CPU-s | **vs raw, CPU** | files | bytes |',
  )
  print('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  print(
    `| raw hyparquet-writer 0.17.0, \`parquetWriteBuffer\` + \`writeFile\` | ${seconds(raw)} | ${rate(n, raw)} | 1.00× | ${seconds(cpu('raw'))} | ${rate(n, cpu('raw'))} | 1.00× | 1 | ${mib(sizes.raw!)} |`,
  )
  print(
    `| **Lake \`table.append(rows)\`, unpartitioned** | ${seconds(lake)} | ${rate(n, lake)} | ${ratio(paired('lake', ofWall))} | ${seconds(cpu('lake'))} | ${rate(n, cpu('lake'))} | **${ratio(paired('lake', ofCpu))}** | ${lakePlan.tasks.length} | ${mib(fileBytes(lakePlan))} |`,
  )
  print(
    `| Lake \`table.append(rows)\`, partitioned by day(ts) | ${seconds(byDay)} | ${rate(n, byDay)} | ${ratio(paired('lakeByDay', ofWall))} | ${seconds(cpu('lakeByDay'))} | ${rate(n, cpu('lakeByDay'))} | ${ratio(paired('lakeByDay', ofCpu))} | ${byDayPlan.tasks.length} | ${mib(fileBytes(byDayPlan))} |`,
  )
  if (py.ok) {
    const pu = median(py.value.unpartitioned)
    const pp = median(py.value.partitioned)
    print(
      `| PyIceberg ${py.value.version} \`table.append(pyarrow_table)\`, unpartitioned | ${seconds(pu)} | ${rate(n, pu)} | ${ratio(raw / pu)} | | | | | |`,
    )
    print(
      `| PyIceberg ${py.value.version} \`table.append(pyarrow_table)\`, by day(ts) | ${seconds(pp)} | ${rate(n, pp)} | ${ratio(raw / pp)} | | | | | |`,
    )
    print(
      `\nLake / PyIceberg (wall time ratio, above 1: Lake faster): unpartitioned ${ratio(pu / lake)}, by day ${ratio(pp / byDay)}. PyIceberg's input is the same rows already in a pyarrow table (read from the raw file, not timed); it runs in a child process, wall time only.`,
    )
  } else {
    print(`\n${why(py)}.`)
  }
  print('\nEach round (seconds; main = CPU of the JavaScript thread alone, from /proc):\n')
  print(
    '| round | raw wall / CPU (main) | Lake wall / CPU (main) | wall ratio | CPU ratio | by day wall / CPU (main) | wall ratio | CPU ratio |',
  )
  print('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (let r = 0; r < WRITE_RUNS; r++) {
    const [rc, lc, dc] = [costs.raw![r]!, costs.lake![r]!, costs.lakeByDay![r]!]
    const cell = (c: WriteCost) => `${seconds(c.wallMs)} / ${seconds(c.cpuMs)} (${seconds(c.mainCpuMs)})`
    print(
      `| ${r + 1} | ${cell(rc)} | ${cell(lc)} | ${ratio(rc.wallMs / lc.wallMs)} | ${ratio(rc.cpuMs / lc.cpuMs)} | ${cell(dc)} | ${ratio(rc.wallMs / dc.wallMs)} | ${ratio(rc.cpuMs / dc.cpuMs)} |`,
    )
  }
  print(
    '\nBoth compress with the same zstd compressor at level 3, the one Lake loads (native libzstd where the optional ' +
      '`@toondepauw/node-zstd` loads, else WebAssembly). ' +
      'Both write the file from one buffer in memory with `fs.promises.writeFile` to the same local file system, without fsync ' +
      '(Lake to a temporary name linked into place); Lake also writes the commit: a manifest, a manifest list and the metadata JSON.',
  )
  const withLeftovers = (c: WriteCost) => c.cpuMs + c.leftoverGcMs
  print(
    '\nCharging each run with the GC of the garbage it left (a full GC right after it, less a second full GC with nothing left to collect; median per run: ' +
      `raw ${seconds(median(costs.raw!.map((c) => c.leftoverGcMs)))} s, Lake ${seconds(median(costs.lake!.map((c) => c.leftoverGcMs)))} s, ` +
      `by day ${seconds(median(costs.lakeByDay!.map((c) => c.leftoverGcMs)))} s), the CPU ratio is ${ratio(paired('lake', withLeftovers))} unpartitioned ` +
      `and ${ratio(paired('lakeByDay', withLeftovers))} by day.`,
  )
  const cpuRatio = paired('lake', ofCpu)
  print(
    `\nGoal: Lake ≥ 0.85× raw hyparquet-writer, unpartitioned, in CPU time — ${goal(cpuRatio >= 0.85)} (${ratio(cpuRatio)}; ` +
      `wall time ${ratio(paired('lake', ofWall))}). By day(ts): ${ratio(paired('lakeByDay', ofCpu))} in CPU time.\n`,
  )
  return { table: lakeTable, byDay: byDayTable }
}

async function scanSection(table: Table) {
  const plan = await table.scan().planFiles()
  const files = plan.tasks.map((t) => t.dataFile.filePath)
  const expected = Number(plan.tasks.reduce((n, t) => n + t.dataFile.recordCount, 0n))
  const rowsOf: Record<string, number> = {}
  const sums: Record<string, bigint> = {}
  const checksum = (arrow: ArrowTable) => {
    let sum = 0n
    for (const v of arrow.getChild('count')!) if (v !== null) sum += BigInt(v as number)
    for (const v of arrow.getChild('id')!) sum += BigInt(v as bigint)
    return sum
  }
  const keep = (name: string, arrow: ArrowTable) => {
    rowsOf[name] = arrow.numRows
    sums[name] ??= checksum(arrow)
  }
  progress(`scan: ${SCAN_RUNS} interleaved rounds over ${files.length} file(s), ${count(expected)} rows`)
  const times = await race(
    {
      toArrow: () => timed(async () => keep('toArrow', await table.scan().toArrow())),
      batches: () =>
        timed(async () => {
          let n = 0
          for await (const batch of table.scan().batches()) n += batch.numRows
          rowsOf.batches = n
        }),
      hyparquet: () => timed(async () => keep('hyparquet', await hyparquetToArrow(files))),
      wasm: () => timed(async () => keep('wasm', await parquetWasmToArrow(files))),
    },
    SCAN_RUNS + 1,
  )
  // The first round warmed up.
  for (const list of Object.values(times)) list.shift()
  for (const [name, n] of Object.entries(rowsOf)) {
    if (n !== expected) throw new Error(`scan: ${name} returned ${n} rows, expected ${expected}`)
  }
  if (new Set(Object.values(sums)).size !== 1)
    throw new Error(`scan: checksums differ: ${JSON.stringify(sums, (_, v) => String(v))}`)

  progress('scan: PyIceberg')
  const py = await pyiceberg<{ times: number[]; rows: number }>([
    'scan',
    fileURLToPath(table.metadataLocation),
    SCAN_RUNS,
  ])
  const base = median(times.hyparquet!)
  const toArrow = median(times.toArrow!)
  const batches = median(times.batches!)
  const wasm = median(times.wasm!)
  print(
    `### Scan: full table into Arrow, ${count(expected)} rows in ${files.length} file(s) (the unpartitioned table written above)\n`,
  )
  print(
    `Median of ${SCAN_RUNS} interleaved runs after a warm-up. Every contender returns all ${count(expected)} rows ` +
      '(checked), and the same sum over `id` and `count` (checked). Ratio = baseline time / contender time.\n',
  )
  print('| reader | median s | rows/s | vs raw hyparquet → Arrow | vs parquet-wasm |')
  print('|---|---:|---:|---:|---:|')
  print(
    `| raw hyparquet 1.33.0 \`parquetRead\` + apache-arrow \`vectorFromArray\` | ${seconds(base)} | ${rate(expected, base)} | 1.00× | ${ratio(wasm / base)} |`,
  )
  print(
    `| parquet-wasm 0.8.0 \`readParquet\` → IPC → \`tableFromIPC\` | ${seconds(wasm)} | ${rate(expected, wasm)} | ${ratio(base / wasm)} | 1.00× |`,
  )
  print(
    `| **Lake \`scan().toArrow()\`** | ${seconds(toArrow)} | ${rate(expected, toArrow)} | **${ratio(base / toArrow)}** | ${ratio(wasm / toArrow)} |`,
  )
  print(
    `| Lake \`scan().batches()\` (streamed, batches dropped) | ${seconds(batches)} | ${rate(expected, batches)} | ${ratio(base / batches)} | ${ratio(wasm / batches)} |`,
  )
  if (py.ok) {
    const p = median(py.value.times)
    print(
      `| PyIceberg ${py.value.version} \`scan().to_arrow()\` (StaticTable on Lake's metadata) | ${seconds(p)} | ${rate(py.value.rows, p)} | ${ratio(base / p)} | ${ratio(wasm / p)} |`,
    )
    print(`\nLake toArrow / PyIceberg (time ratio, above 1: Lake faster): ${ratio(p / toArrow)}.`)
  } else {
    print(`\n${why(py)}.`)
  }
  print(
    '\nraw hyparquet decodes `amount` to float64 (it has no decimal output) and strings to JS strings that apache-arrow re-encodes; ' +
      'Lake and parquet-wasm build decimal128 and UTF-8 buffers directly.',
  )
  print(
    `\nGoal: Lake toArrow ≥ 0.85× raw hyparquet → Arrow — ${goal(base / toArrow >= 0.85)} (${ratio(base / toArrow)}).\n`,
  )
}

async function pruningSection(warehouse: string) {
  const io = new CountingFileIO()
  const catalog = new HadoopCatalog({ warehouse, io })
  await catalog.createNamespace('bench')
  const table = await catalog.createTable('bench.pruned', {
    schema: Events,
    partitionBy: [{ source: 'ts', transform: 'day' }],
  })
  const daysPerAppend = PRUNE_FILES / PRUNE_APPENDS
  const perAppend = daysPerAppend * PRUNE_ROWS_PER_FILE
  const total = PRUNE_FILES * PRUNE_ROWS_PER_FILE
  progress(`pruning: ${PRUNE_APPENDS} appends of ${daysPerAppend} days each (${PRUNE_FILES} files)`)
  for (let a = 0; a < PRUNE_APPENDS; a++) {
    await table.append(makeRows(a * perAppend, perAppend, PRUNE_FILES, total) as never)
  }
  const day = Math.floor(PRUNE_FILES * 0.537)
  const from = START_MS + day * DAY_MS
  const filter = and(gtEq('ts', new Date(from)), lt('ts', new Date(from + DAY_MS)))
  const allPlan = await table.scan().planFiles()
  if (allPlan.tasks.length !== PRUNE_FILES)
    throw new Error(`pruning: ${allPlan.tasks.length} files, expected ${PRUNE_FILES}`)
  const matching = allPlan.tasks.filter(
    (t) => (t.dataFile.partition as unknown[])[0] === Math.floor(from / DAY_MS),
  ).length

  progress(`pruning: planning ${PLAN_RUNS} times each`)
  const plan = await race(
    {
      oneDay: () => timed(() => table.scan({ filter }).planFiles()),
      full: () => timed(() => table.scan().planFiles()),
    },
    PLAN_RUNS + 1,
  )
  for (const list of Object.values(plan)) list.shift()

  io.reset()
  const scan = table.scan({ filter })
  const tasks = (await scan.planFiles()).tasks
  const manifestsRead = io.wholeReads.filter((f) => f.endsWith('.avro') && !f.includes('/snap-')).length
  const manifestsTotal = readManifestList(await io.read(table.currentSnapshot()!.manifestList), {
    file: table.currentSnapshot()!.manifestList,
  }).manifests.length
  io.reset()
  let rows = 0
  for await (const batch of scan.batches()) rows += batch.numRows
  const dataFilesRead = new Set(io.opened.filter((f) => f.endsWith('.parquet'))).size
  if (tasks.length !== matching || dataFilesRead !== matching || rows !== PRUNE_ROWS_PER_FILE * matching) {
    throw new Error(
      `pruning: planned ${tasks.length}, read ${dataFilesRead} files and ${rows} rows; ${matching} files match`,
    )
  }

  progress('pruning: PyIceberg plan_files')
  const py = await pyiceberg<{ times: number[]; files: number }>([
    'plan',
    fileURLToPath(table.metadataLocation),
    from * 1000,
    (from + DAY_MS) * 1000,
    PLAN_RUNS,
  ])
  const oneDay = median(plan.oneDay!)
  const full = median(plan.full!)
  print(`### Pruning: one day out of ${count(PRUNE_FILES)} day partitions\n`)
  print(
    `A table partitioned by day(ts): ${PRUNE_APPENDS} appends of ${daysPerAppend} days each, one ${PRUNE_ROWS_PER_FILE}-row file per day ` +
      `(${count(PRUNE_FILES)} data files in ${manifestsTotal} manifests). Filter: \`ts >= day ${day} and ts < day ${day + 1}\`. ` +
      `Planning is a fresh \`table.scan({ filter }).planFiles()\` each time (nothing cached between scans), median of ${PLAN_RUNS}.\n`,
  )
  print('| | Lake | PyIceberg | Lake / PyIceberg (time ratio, above 1: Lake faster) |')
  print('|---|---:|---:|---:|')
  if (py.ok) {
    const p = median(py.value.times)
    print(`| plan, one-day filter (ms) | ${oneDay.toFixed(1)} | ${p.toFixed(1)} | ${ratio(p / oneDay)} |`)
    print(`| files planned | ${tasks.length} | ${py.value.files} | |`)
  } else {
    print(`| plan, one-day filter (ms) | ${oneDay.toFixed(1)} | – | |`)
    print(`| files planned | ${tasks.length} | – | |`)
  }
  print(`| plan, no filter (ms) | ${full.toFixed(1)} | | |`)
  print(`| manifests read for the one-day plan | ${manifestsRead} of ${manifestsTotal} | | |`)
  print(
    `| data files read by the one-day scan | ${dataFilesRead} (${rows} rows); ${matching} file(s) match | | |`,
  )
  if (!py.ok) print(`\n${why(py)}.`)
  print(
    `\nFiles read = files matching: **asserted** (${dataFilesRead} = ${matching}). ` +
      `Goal: planning under 200 ms — ${goal(oneDay < 200)} (${oneDay.toFixed(1)} ms).\n`,
  )
}

async function commitSection(warehouse: string) {
  const catalog = new HadoopCatalog({ warehouse })
  await catalog.createNamespace('bench')
  const table = await catalog.createTable('bench.commits', { schema: Events })
  const io = catalog.io as FileIO
  const rows = makeRows(0, COMMITS * COMMIT_ROWS, 1)
  const latencies: number[] = []
  const buckets: { manifests: number; metadataBytes: number }[] = []
  progress(`commits: ${COMMITS} appends of ${COMMIT_ROWS} rows`)
  for (let i = 0; i < COMMITS; i++) {
    const batch = rows.slice(i * COMMIT_ROWS, (i + 1) * COMMIT_ROWS)
    latencies.push(await timed(() => table.append(batch as never)))
    if ((i + 1) % COMMIT_BUCKET === 0) {
      const snapshot = table.currentSnapshot()!
      buckets.push({
        manifests: readManifestList(await io.read(snapshot.manifestList), { file: snapshot.manifestList })
          .manifests.length,
        metadataBytes: (await stat(fileURLToPath(table.metadataLocation))).size,
      })
    }
  }
  // The floor: writing the same few rows as one Parquet file, with nothing to commit.
  const rawDir = join(warehouse, 'raw-commits')
  await mkdir(rawDir)
  const floor: number[] = []
  for (let i = 0; i < 50; i++)
    floor.push(await timed(() => rawWrite(rows.slice(0, COMMIT_ROWS), join(rawDir, `${i}.parquet`))))

  progress('commits: PyIceberg')
  const rawFile = join(rawDir, 'input.parquet')
  await rawWrite(rows, rawFile)
  const py = await pyiceberg<{ times: number[] }>([
    'commits',
    rawFile,
    join(warehouse, 'pyiceberg'),
    COMMITS,
    COMMIT_ROWS,
  ])

  print(`### Commits: ${COMMITS} sequential appends of ${COMMIT_ROWS} rows\n`)
  print(
    'Each append writes a data file, a manifest, a manifest list and a new metadata JSON, and commits by ' +
      "atomic rename (Hadoop catalog, local disk). Lake's fast append never merges manifests, so the manifest list grows by one each commit.\n",
  )
  print(`| commits | p50 ms | p99 ms | manifests at end | metadata.json at end |`)
  print('|---|---:|---:|---:|---:|')
  for (let b = 0; b < buckets.length; b++) {
    const slice = latencies.slice(b * COMMIT_BUCKET, (b + 1) * COMMIT_BUCKET)
    print(
      `| ${b * COMMIT_BUCKET + 1}–${(b + 1) * COMMIT_BUCKET} | ${percentile(slice, 50).toFixed(1)} | ${percentile(slice, 99).toFixed(1)} | ${buckets[b]!.manifests} | ${(buckets[b]!.metadataBytes / 1024).toFixed(0)} KiB |`,
    )
  }
  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  print(`| **all ${COMMITS}** | **${p50.toFixed(1)}** | **${p99.toFixed(1)}** | | |`)
  const growth =
    percentile(latencies.slice(-COMMIT_BUCKET), 50) / percentile(latencies.slice(0, COMMIT_BUCKET), 50)
  print(`\nGrowth of p50 from the first to the last ${COMMIT_BUCKET} commits: ${ratio(growth)}.`)
  print(
    `Floor (raw hyparquet-writer writing the same ${COMMIT_ROWS} rows to one file, nothing committed): p50 ${percentile(floor, 50).toFixed(1)} ms.`,
  )
  if (py.ok) {
    const t = py.value.times
    print(
      `PyIceberg ${py.value.version} (SqlCatalog on SQLite, same ${COMMITS} appends): p50 ${percentile(t, 50).toFixed(1)} ms, p99 ${percentile(t, 99).toFixed(1)} ms, ` +
        `last ${COMMIT_BUCKET} p50 ${percentile(t.slice(-COMMIT_BUCKET), 50).toFixed(1)} ms; Lake / PyIceberg p50 (time ratio, above 1: Lake faster): ${ratio(percentile(t, 50) / p50)}.`,
    )
  } else {
    print(`${why(py)}.`)
  }
  print()
}

async function memorySection(warehouse: string, small: Table) {
  progress(`memory: writing ${count(MEMORY_ROWS)} rows in appends of ${count(MEMORY_CHUNK)} (child process)`)
  const written = await child<{ ms: number }>(['write', warehouse, 'big', MEMORY_ROWS, MEMORY_CHUNK, 30])
  progress('memory: streaming scans (child processes)')
  type Scan = { rows: number; batches: number; ms: number; baselineRss: number; peakRss: number }
  const big = await child<Scan>(['scan', warehouse, 'big'])
  const smallScan = await child<Scan>(['scan', warehouse, small.name.split('.').at(-1)!])
  if (big.rows !== MEMORY_ROWS) throw new Error(`memory: scanned ${big.rows} rows, expected ${MEMORY_ROWS}`)
  print(`### Memory: streaming scan of ${count(MEMORY_ROWS)} rows\n`)
  print(
    `The table is written by a child process in ${MEMORY_ROWS / MEMORY_CHUNK} appends of ${count(MEMORY_CHUNK)} rows ` +
      `(${seconds(written.ms)} s); each scan runs in a fresh child process that iterates \`table.scan().batches()\` and drops ` +
      "each batch. Peak RSS is the larger of `process.memoryUsage.rss()` sampled every 10 ms and the kernel's `maxRSS`; " +
      'baseline is the RSS after loading the table, before the scan.\n',
  )
  print('| table | rows | files | s | rows/s | baseline RSS | peak RSS |')
  print('|---|---:|---:|---:|---:|---:|---:|')
  const row = (label: string, s: Scan, files: number) =>
    print(
      `| ${label} | ${count(s.rows)} | ${files} | ${seconds(s.ms)} | ${rate(s.rows, s.ms)} | ${mib(s.baselineRss)} | ${mib(s.peakRss)} |`,
    )
  row("the write section's table", smallScan, 1)
  row(`**${count(MEMORY_ROWS)} rows**`, big, MEMORY_ROWS / MEMORY_CHUNK)
  print(
    `\nPeak RSS at ${count(MEMORY_ROWS)} rows / at ${count(smallScan.rows)} rows: ${ratio(big.peakRss / smallScan.peakRss)}. ` +
      `Goal: peak RSS under 1 GiB — ${goal(big.peakRss < GIB)} (${mib(big.peakRss)}).\n`,
  )
}

// ------------------------------------------------------------------------------------- main

function commitId(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
  } catch {
    return 'unknown'
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'lake-bench-catalog-'))
  const sections = (process.env.LAKE_BENCH_SECTIONS ?? 'write,scan,pruning,commits,memory').split(',')
  try {
    progress(`generating ${count(WRITE_ROWS)} rows`)
    const rows = makeRows(0, WRITE_ROWS, WRITE_DAYS)
    const warehouse = join(root, 'warehouse')
    const written = await writeSection(warehouse, rows)
    if (sections.includes('scan')) await scanSection(written.table)
    if (sections.includes('pruning')) await pruningSection(join(root, 'pruning'))
    if (sections.includes('commits')) await commitSection(join(root, 'commits'))
    if (sections.includes('memory')) await memorySection(warehouse, written.table)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
  const cores = execSync('nproc').toString().trim()
  console.log('## catalog\n')
  console.log(
    `\`pnpm bench catalog${QUICK ? ' --quick' : ''}\`, ${new Date().toISOString().slice(0, 10)}, Lake ${commitId()}; ` +
      `${cores} cores, ${(totalmem() / GIB).toFixed(1)} GiB (${(freemem() / GIB).toFixed(1)} GiB free at the end), ` +
      `Node.js ${process.version}; load average ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end ` +
      `(other work shares the cores, hence interleaved runs and ratios); whole suite ${((performance.now() - started) / 60_000).toFixed(1)} min.` +
      (QUICK ? ' **Quick run: every size ÷10.**' : '') +
      '\n',
  )
  for (const line of out) console.log(line)
}

await main()
