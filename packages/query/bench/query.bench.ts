/**
 * `pnpm bench query`: a 1M-row × 8-column SELECT from the dev stack's Trino, read as Lake's
 * Arrow record batches and, in the same run, as the raw protocol's rows (the same HTTP layer,
 * the body decoded as UTF-8 and `JSON.parse`d, no conversion) and as the Trino CLI's CSV output. Rounds are interleaved, median
 * reported; also time to first batch and peak memory during the stream. Lake reads it over the
 * direct protocol (rows inline in each response, the default) and over the spooling protocol in
 * each encoding (`json`, `json+zstd`, `json+lz4`: segments written by Trino's worker to the
 * stack's S3 store, fetched through the coordinator). Prints a Markdown section for
 * docs/benchmarks.md.
 *
 * Needs `pnpm stack up trino`. Args: `[rows] [rounds]` (default 1,000,000 and 3). The CLI jar is
 * `~/.cache/lake-stack/downloads/trino-cli-476-executable.jar` (or `LAKE_BENCH_TRINO_CLI`), run
 * with the stack's Java (`LAKE_TRINO_JAVA`, else the Temurin 25 JDK or `java`).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { median } from '@lake/devtools/stats'
import { trinoEndpoint } from '@lake/stack/trino'
import { createTrinoClient, type QueryDataEncoding } from '../src/index.js'
import { HttpTransport } from '../src/internal/http.js'

const ROWS = Number(process.argv[2] ?? 1_000_000)
const ROUNDS = Number(process.argv[3] ?? 3)
const server = trinoEndpoint().url
const side = Math.ceil(Math.sqrt(ROWS))

const SQL = `SELECT a * ${side} + b AS id, concat('user-', CAST(b AS varchar)) AS name, CAST(b AS double) / 7 AS score,
  CAST(b AS decimal(12, 2)) / 4 AS amount, date_add('day', b % 3650, DATE '2020-01-01') AS day,
  from_unixtime(a * ${side} + b) AS ts, b % 2 = 0 AS flag, CAST(a AS integer) AS bucket
FROM UNNEST(sequence(0, ${side - 1})) x(a) CROSS JOIN UNNEST(sequence(0, ${side - 1})) y(b)
LIMIT ${ROWS}`

interface Run {
  seconds: number
  /** CPU seconds of this process (user + system) during the run. */
  cpu: number
  rows: number
  firstMs: number
  peakMiB: number
}

function memory(): number {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** Samples memory while `fn` runs; returns the peak above the start, in MiB. */
async function measured(
  fn: (sample: () => void) => Promise<{ rows: number; firstMs: number }>,
): Promise<Run> {
  globalThis.gc?.()
  const base = memory()
  let peak = 0
  const sample = () => {
    peak = Math.max(peak, memory() - base)
  }
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const { rows, firstMs } = await fn(sample)
  const cpu = process.cpuUsage(cpuStart)
  return {
    seconds: (performance.now() - start) / 1000,
    cpu: (cpu.user + cpu.system) / 1e6,
    rows,
    firstMs,
    peakMiB: peak / 2 ** 20,
  }
}

async function lake(encoding: QueryDataEncoding = 'direct'): Promise<Run> {
  const client = createTrinoClient({ server, user: 'bench', source: 'lake-bench', encoding })
  try {
    return await measured(async (sample) => {
      const start = performance.now()
      let firstMs = 0
      let rows = 0
      for await (const batch of client.query(SQL)) {
        if (rows === 0) firstMs = performance.now() - start
        rows += batch.numRows
        sample()
      }
      return { rows, firstMs }
    })
  } finally {
    client.close()
  }
}

/** The protocol without Lake: POST, follow nextUri, JSON.parse each page, count the row arrays. */
async function raw(): Promise<Run> {
  const transport = new HttpTransport(new URL(server), undefined)
  const headers = {
    'X-Trino-User': 'bench',
    'X-Trino-Source': 'lake-bench-raw',
    'X-Trino-Client-Capabilities': 'PATH,PARAMETRIC_DATETIME,SESSION_AUTHORIZATION',
  }
  try {
    return await measured(async (sample) => {
      const start = performance.now()
      let firstMs = 0
      let rows = 0
      let response = await transport.request('POST', '/v1/statement', headers, SQL, undefined)
      for (;;) {
        const page = JSON.parse(response.body.toString()) as {
          nextUri?: string
          data?: unknown[][]
          error?: { message: string }
        }
        if (page.error) throw new Error(page.error.message)
        if (page.data) {
          if (rows === 0) firstMs = performance.now() - start
          rows += page.data.length
          sample()
        }
        if (page.nextUri === undefined) break
        response = await transport.request('GET', page.nextUri, headers, undefined, undefined)
      }
      return { rows, firstMs }
    })
  } finally {
    transport.close()
  }
}

function java(): string {
  if (process.env.LAKE_TRINO_JAVA) return process.env.LAKE_TRINO_JAVA
  const temurin = '/usr/lib/jvm/temurin-25-jdk-amd64/bin/java'
  return existsSync(temurin) ? temurin : 'java'
}

const cliJar =
  process.env.LAKE_BENCH_TRINO_CLI ??
  join(homedir(), '.cache/lake-stack/downloads/trino-cli-476-executable.jar')

/** The Trino CLI's CSV of the same query, counted as lines (JVM start-up included). */
async function cli(): Promise<Run> {
  const start = performance.now()
  let firstMs = 0
  let rows = 0
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      java(),
      ['-jar', cliJar, '--server', server, '--user', 'bench', '--output-format', 'CSV', '--execute', SQL],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    child.stdout.on('data', (chunk: Buffer) => {
      if (rows === 0) firstMs = performance.now() - start
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows += 1
    })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`trino-cli exited with ${code}`))))
  })
  return { seconds: (performance.now() - start) / 1000, cpu: Number.NaN, rows, firstMs, peakMiB: Number.NaN }
}

const contenders: [string, () => Promise<Run>][] = [
  ['raw protocol rows (`node:http` + `JSON.parse`, no conversion)', raw],
  ['**Lake `client.query()` → Arrow record batches**', () => lake('direct')],
  ['Lake, spooling protocol, `json` segments', () => lake('json')],
  ['Lake, spooling protocol, `json+zstd` segments', () => lake('json+zstd')],
  ['Lake, spooling protocol, `json+lz4` segments', () => lake('json+lz4')],
]
const haveCli = existsSync(cliJar)
if (haveCli) contenders.push(['Trino CLI 476 `--output-format CSV` (JVM start-up included)', cli])

const loadStart = loadavg()[0]!
const started = performance.now()
console.error(`warm-up (${ROWS} rows)`)
await raw()
await lake()
await lake('json+zstd')
const runs = new Map<string, Run[]>(contenders.map(([name]) => [name, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of contenders) {
    const result = await run()
    if (result.rows !== ROWS) throw new Error(`${name} returned ${result.rows} rows, not ${ROWS}`)
    runs.get(name)!.push(result)
    console.error(`round ${round + 1}: ${name}: ${result.seconds.toFixed(2)} s`)
  }
}

const rawSeconds = median(runs.get(contenders[0]![0])!.map((r) => r.seconds))
const lakeSeconds = median(runs.get(contenders[1]![0])!.map((r) => r.seconds))
const rawCpu = median(runs.get(contenders[0]![0])!.map((r) => r.cpu))
const lakeCpu = median(runs.get(contenders[1]![0])!.map((r) => r.cpu))
// Raw and Lake run back to back in each round, so their ratio within a round shares the load of
// that moment: steadier than a ratio of medians on a machine other work shares.
const rawRuns = runs.get(contenders[0]![0])!
const lakeRuns = runs.get(contenders[1]![0])!
const pairedWall = rawRuns.map((r, i) => r.seconds / lakeRuns[i]!.seconds)
const pairedCpu = rawRuns.map((r, i) => r.cpu / lakeRuns[i]!.cpu)
const list = (ratios: number[]) => ratios.map((x) => `${x.toFixed(2)}×`).join(', ')
/** Raw / contender within each round, wall and CPU, for the spooling contenders. */
const spooling = contenders.slice(2, 5).map(([name]) => {
  const r = runs.get(name)!
  const wall = rawRuns.map((x, i) => x.seconds / r[i]!.seconds)
  const cpu = rawRuns.map((x, i) => x.cpu / r[i]!.cpu)
  const vsDirect = lakeRuns.map((x, i) => x.seconds / r[i]!.seconds)
  const cpuVsDirect = lakeRuns.map((x, i) => x.cpu / r[i]!.cpu)
  return { name, wall, cpu, vsDirect, cpuVsDirect }
})
const out: string[] = []
out.push('## query', '')
out.push(
  `\`pnpm bench query\`, ${new Date().toISOString().slice(0, 10)}; Trino 476 of \`pnpm stack up trino\` (one JVM, coordinator and worker) on the same 2 cores; ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node.js ${process.version}; load average ${loadStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end; whole suite ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
  '',
)
out.push(
  `### SELECT of ${ROWS.toLocaleString('en-US')} rows × 8 columns (bigint, varchar, double, decimal(12,2), date, timestamp(3) with time zone, boolean, integer)`,
  '',
  `Generated by Trino (\`UNNEST(sequence(…))\` cross join), so every contender pays the same server cost. Median of ${ROUNDS} interleaved rounds after a warm-up; every contender returned all rows (checked). Ratio = raw time / contender time (above 1: faster than raw). Client CPU = this process's user + system CPU during the run (the server shares the same 2 cores, so client CPU is taken from Trino); CPU ratio = raw client CPU / contender client CPU, steadier than wall time on a shared machine. First rows = time to the first page of rows (raw), the first record batch (Lake), the first CSV bytes (CLI). Peak memory = the largest heap + ArrayBuffer growth over the start while streaming (batches and pages dropped as read). All medians.`,
  '',
  '| reader | median s | rows/s | vs raw rows | client CPU s | CPU vs raw | first rows (ms) | peak memory (MiB) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
)
for (const [name] of contenders) {
  const r = runs.get(name)!
  const s = median(r.map((x) => x.seconds))
  const peak = median(r.map((x) => x.peakMiB))
  const cpu = median(r.map((x) => x.cpu))
  out.push(
    `| ${name} | ${s.toFixed(2)} | ${(ROWS / s / 1e6).toFixed(2)} M | ${(rawSeconds / s).toFixed(2)}× | ${Number.isNaN(cpu) ? '' : cpu.toFixed(2)} | ${Number.isNaN(cpu) ? '' : `${(rawCpu / cpu).toFixed(2)}×`} | ${median(r.map((x) => x.firstMs)).toFixed(0)} | ${Number.isNaN(peak) ? '' : peak.toFixed(0)} |`,
  )
}
if (!haveCli) out.push('', `The Trino CLI jar was not found at ${cliJar}; its row is missing.`)
out.push(
  '',
  `Raw / Lake within each round: wall time ${list(pairedWall)} (median ${median(pairedWall).toFixed(2)}×); client CPU ${list(pairedCpu)} (median ${median(pairedCpu).toFixed(2)}×).`,
  '',
  'Spooling contenders within each round (raw / contender; Lake direct / contender):',
  '',
  ...spooling.map(
    (s) =>
      `- ${s.name}: vs raw wall ${list(s.wall)} (median ${median(s.wall).toFixed(2)}×), CPU ${list(s.cpu)} (median ${median(s.cpu).toFixed(2)}×); vs Lake direct wall ${list(s.vsDirect)} (median ${median(s.vsDirect).toFixed(2)}×), CPU median ${median(s.cpuVsDirect).toFixed(2)}×.`,
  ),
  '',
  `Goal: Lake ≥ 0.9× raw protocol rows/s — **${median(pairedWall) >= 0.9 ? 'met' : 'missed'}** by the median of the paired wall-time ratios (${median(pairedWall).toFixed(2)}×; ratio of the medians ${(rawSeconds / lakeSeconds).toFixed(2)}×; client CPU ${(rawCpu / lakeCpu).toFixed(2)}× raw's).`,
  '',
)
console.log(out.join('\n'))
