/**
 * Lake on the dev stack's HDFS (`pnpm stack up hdfs`) against Hadoop's own Java client, in the
 * same run: (a) write and read throughput of one large file through Lake's `WebHdfsFileIO` and
 * through FsShell (`hdfs dfs -put` / `-cat`), the latter with and without the JVM's start;
 * (b) commit latency of sequential appends on HDFS, against the same appends on local disk,
 * then reloads of that unchanged table by its catalog against loads by a new catalog;
 * (c) concurrent writers appending to one table: commits/s, conflicts retried, nothing lost.
 * Prints a Markdown section for docs/benchmarks.md.
 *
 * Run: `pnpm bench hdfs [MiB] [rounds]` (default 256 MiB, 3 rounds; about 6 minutes on 2 cores at 5 rounds),
 * with `--throughput-only` for (a) alone, `--commits-only` for (b) alone.
 * Needs a JDK (`javac`) for the tiny FsShell timer beside this file. Follows the same
 * `LAKE_STACK_DIR` and `LAKE_HDFS_*` variables as `pnpm stack`.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import {
  col,
  defineSchema,
  HadoopCatalog,
  LocalFileIO,
  ResolvingFileIO,
  type Table,
  WebHdfsFileIO,
} from '@lake/catalog'
import { median, percentile } from '@lake/devtools/stats'
import { hdfsEndpoints, hdfsJavaClient } from '../src/hdfs.mjs'

const MiB = 1 << 20
const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
const SIZE_MIB = Number(args[0] ?? 256)
const ROUNDS = Number(args[1] ?? 3)
const THROUGHPUT_ONLY = process.argv.includes('--throughput-only')
/** (b) alone: the commit latency and reloads, for comparing one commit path with another. */
const COMMITS_ONLY = process.argv.includes('--commits-only')
const COMMITS = 200
/** Reloads of the unchanged table after (b), each way. */
const RELOADS = 50
const COMMIT_BUCKET = 50
const COMMIT_ROWS = 5
const WRITERS = 4
const WRITER_APPENDS = 50
const WRITER_ROWS = 10

const here = dirname(fileURLToPath(import.meta.url))
const started = performance.now()
const loadAtStart = loadavg()[0]!
const out: string[] = []
const print = (line = '') => out.push(line)
const progress = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`)

const endpoints = hdfsEndpoints()
const base = `${endpoints.fsUri}/bench/hdfs-${process.pid}`
const io = new WebHdfsFileIO({ namenodes: [endpoints.namenodeHttp], user: 'lake' })
/** The same client reading through WebHDFS's `OPEN` only, to show what block reads change. */
const ioOpen = new WebHdfsFileIO({ namenodes: [endpoints.namenodeHttp], user: 'lake', blockReads: false })
/** Block reads with the checksums computed by the WebAssembly loop instead of the CPU's CRC instructions. */
const ioWasmCrc = new WebHdfsFileIO({
  namenodes: [endpoints.namenodeHttp],
  user: 'lake',
  nativeChecksums: false,
})
const local = await mkdtemp(join(tmpdir(), 'lake-bench-hdfs-'))

const fmt = (n: number, digits = 0) => n.toFixed(digits)
const mibs = (ms: number) => SIZE_MIB / (ms / 1000)
const ratio = (n: number) => `${n.toFixed(2)}×`

// ------------------------------------------------------------------ (a) throughput vs Java

/** A file of pseudo-random bytes on local disk, the source of both clients' writes. */
async function makeSource(path: string): Promise<string> {
  const chunk = new Uint8Array(MiB)
  let x = 2463534242
  const hash = createHash('sha256')
  const stream = createWriteStream(path)
  for (let i = 0; i < SIZE_MIB; i++) {
    for (let j = 0; j < chunk.length; j++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      chunk[j] = x & 0xff
    }
    hash.update(chunk)
    if (!stream.write(chunk)) await once(stream, 'drain')
  }
  stream.end()
  await once(stream, 'finish')
  return hash.digest('hex')
}

interface JavaRun {
  /** `hdfs dfs <command>` as run once: from spawning `java` to its exit, less the second run. */
  processMs: number
  /** From spawning `java` to the entry of main: the JVM's own start. */
  startMs: number
  /** The warm-up command: Hadoop's classes loaded, the FileSystem opened, the first RPC. */
  warmupMs: number
  /** The command's first run, classes loaded but the JIT cold, as in `hdfs dfs`. */
  firstMs: number
  /** Its second run in the same JVM, JIT-warm, as in a long-running Java process. */
  warmMs: number
  /** The JVM's CPU time (all threads) during that second run. */
  warmCpuMs: number
  /** What `-cat` printed, both runs. */
  stdoutBytes: number
}

const javaClient = hdfsJavaClient([local])

/** Compiles the FsShell timer against the stack's Hadoop jars. */
function compileTimer(): void {
  const javac = javaClient.java.includes('/') ? join(dirname(javaClient.java), 'javac') : 'javac'
  const result = spawnSync(
    javac,
    ['-cp', javaClient.classpath.join(':'), '-d', local, join(here, 'HdfsShellTimer.java')],
    { encoding: 'utf8' },
  )
  if (result.status !== 0) throw new Error(`javac failed: ${result.error?.message ?? result.stderr}`)
}

/** Runs one FsShell command twice in a fresh JVM (`hdfs dfs <args>` runs it once). */
function fsShell(args: string[]): Promise<JavaRun> {
  const spawnedAt = Date.now()
  const t0 = performance.now()
  const child = spawn(
    javaClient.java,
    [...javaClient.jvmArgs, '-cp', javaClient.classpath.join(':'), 'HdfsShellTimer', '2', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8')
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - t0
      const line = stderr.split('\n').find((l) => l.startsWith('{"enteredMs"'))
      if (code !== 0 || !line)
        return reject(new Error(`FsShell ${args.join(' ')} failed (${code}):\n${stderr}`))
      const timed = JSON.parse(line) as {
        enteredMs: number
        warmupMs: number
        commandMs: [number, number]
        commandCpuMs: [number, number]
        stdoutBytes: number
      }
      resolve({
        processMs: wallMs - timed.commandMs[1],
        startMs: timed.enteredMs - spawnedAt,
        warmupMs: timed.warmupMs,
        firstMs: timed.commandMs[0],
        warmMs: timed.commandMs[1],
        warmCpuMs: timed.commandCpuMs[1],
        stdoutBytes: timed.stdoutBytes,
      })
    })
  })
}

/**
 * A pause before each timed Lake or curl transfer, so none starts while the DataNode still
 * finishes the one before; Java's commands get theirs from the JVM's start. No forced `gc()`:
 * it only ever touched Lake's process, which no real one does, and it sets V8's old-generation
 * limit tight, which is what makes Lake's reads run full mark-compacts (see `majorGcs`). This
 * process gets there without it too (docs/benchmarks.md, hdfs), so the change is for fairness,
 * not speed.
 */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2_000))
}

/** Full (mark-compact) collections of this process so far, as `perf_hooks` reports them. */
let majorGcs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { detail } = entry as unknown as { detail?: { kind?: number } }
    if (detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majorGcs += 1
  }
}).observe({ entryTypes: ['gc'] })

/** Runs `transfer`, returning its wall time, this process's CPU time and its full collections. */
async function timed(
  transfer: () => Promise<void>,
): Promise<{ ms: number; cpuMs: number; majorGcs: number }> {
  const gcs = majorGcs
  const cpu = process.cpuUsage()
  const t = performance.now()
  await transfer()
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  // Observer entries arrive on a later turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve))
  return { ms, cpuMs: (used.user + used.system) / 1000, majorGcs: majorGcs - gcs }
}

/**
 * Streams a local file in 1 MiB chunks read into four buffers in turn, as FsShell reuses its
 * buffer. `fs.createReadStream` allocates a fresh 1 MiB buffer for every read, which cost more
 * CPU than the upload itself (256 MiB: 0.6 s of CPU, against 0.16 s for the same chunks from
 * memory). Safe here: `WebHdfsFileIO.write` waits for a 1 MiB chunk to drain before the next.
 */
async function* readFileReusing(path: string): AsyncIterable<Uint8Array> {
  const file = await open(path)
  const buffers = Array.from({ length: 4 }, () => Buffer.allocUnsafeSlow(MiB))
  try {
    for (let i = 0; ; i++) {
      const buffer = buffers[i % buffers.length]!
      const { bytesRead } = await file.read(buffer, 0, MiB, null)
      if (bytesRead === 0) return
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await file.close()
  }
}

/** Runs curl quietly, its output dropped, and returns what `-w` wrote. */
function curlRun(args: string[]): string {
  const result = spawnSync('curl', ['-s', '-o', '/dev/null', ...args], { encoding: 'utf8' })
  if (result.status !== 0)
    throw new Error(`curl failed (${result.status}): ${result.error?.message ?? result.stderr}`)
  return result.stdout.trim()
}

async function lakeHash(location: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of io.readStream(location, { reuseChunks: true })) hash.update(chunk)
  return hash.digest('hex')
}

/** Reads a whole file through `fileIO` with lent chunks, after a pause, timed; fails unless all `size` bytes came. */
async function timedRead(fileIO: WebHdfsFileIO, location: string, size: number, how: string) {
  let bytes = 0
  await settle()
  const run = await timed(async () => {
    for await (const chunk of fileIO.readStream(location, { reuseChunks: true })) bytes += chunk.byteLength
  })
  if (bytes !== size) throw new Error(`Lake read ${bytes} bytes${how}, not ${size}`)
  return run
}

async function throughput(): Promise<void> {
  progress(`(a) writing a ${SIZE_MIB} MiB source file and compiling the FsShell timer`)
  const source = join(local, 'source.bin')
  const expected = await makeSource(source)
  compileTimer()
  const size = SIZE_MIB * MiB
  const lake = { write: [] as number[], read: [] as number[] }
  const lakeCpu = { write: [] as number[], read: [] as number[], readMajorGcs: [] as number[] }
  const lakeOpen = { read: [] as number[], cpu: [] as number[] }
  const lakeWasmCrc = { read: [] as number[], cpu: [] as number[] }
  const java = { write: [] as JavaRun[], read: [] as JavaRun[] }
  const curl = { write: [] as number[], read: [] as number[] }
  const contenders = {
    curl: async (round: number) => {
      const path = `/bench/hdfs-${process.pid}/throughput/curl-${round}.bin`
      await settle()
      let t = performance.now()
      const create = await fetch(
        `${endpoints.namenodeHttp}/webhdfs/v1${path}?op=CREATE&overwrite=true&user.name=lake`,
        { method: 'PUT', redirect: 'manual' },
      )
      await create.body?.cancel()
      const put = curlRun(['-X', 'PUT', '-T', source, '-w', '%{http_code}', create.headers.get('location')!])
      curl.write.push(performance.now() - t)
      if (put !== '201') throw new Error(`curl PUT answered ${put}`)
      await settle()
      t = performance.now()
      const got = curlRun([
        '-L',
        '-w',
        '%{size_download}',
        `${endpoints.namenodeHttp}/webhdfs/v1${path}?op=OPEN&user.name=lake`,
      ])
      curl.read.push(performance.now() - t)
      if (Number(got) !== size) throw new Error(`curl read ${got} bytes, not ${size}`)
      await io.delete(`${endpoints.fsUri}${path}`)
    },
    lake: async (round: number) => {
      const location = `${base}/throughput/lake-${round}.bin`
      await settle()
      const write = await timed(() => io.write(location, readFileReusing(source), { overwrite: true }))
      lake.write.push(write.ms)
      lakeCpu.write.push(write.cpuMs)
      const read = await timedRead(io, location, size, '')
      lake.read.push(read.ms)
      lakeCpu.read.push(read.cpuMs)
      lakeCpu.readMajorGcs.push(read.majorGcs)
      const viaWasm = await timedRead(ioWasmCrc, location, size, ' with WebAssembly CRCs')
      lakeWasmCrc.read.push(viaWasm.ms)
      lakeWasmCrc.cpu.push(viaWasm.cpuMs)
      const viaOpen = await timedRead(ioOpen, location, size, ' through OPEN')
      lakeOpen.read.push(viaOpen.ms)
      lakeOpen.cpu.push(viaOpen.cpuMs)
      progress(
        `(a) Lake: write ${fmt(mibs(write.ms))} MiB/s (CPU ${fmt(write.cpuMs)} ms), read ${fmt(mibs(read.ms))} MiB/s (CPU ${fmt(read.cpuMs)} ms, ${read.majorGcs} full GCs), with WebAssembly CRCs ${fmt(mibs(viaWasm.ms))} MiB/s (CPU ${fmt(viaWasm.cpuMs)} ms), through OPEN ${fmt(mibs(viaOpen.ms))} MiB/s (CPU ${fmt(viaOpen.cpuMs)} ms)`,
      )
      if (round === 1 && (await lakeHash(location)) !== expected) throw new Error('Lake wrote other bytes')
      await io.delete(location)
    },
    java: async (round: number) => {
      const location = `${base}/throughput/java-${round}.bin`
      java.write.push(await fsShell(['-put', '-f', source, location]))
      const read = await fsShell(['-cat', location])
      java.read.push(read)
      const [w, r] = [java.write.at(-1)!, read]
      progress(
        `(a) Java: write ${fmt(mibs(w.firstMs))} then ${fmt(mibs(w.warmMs))} MiB/s (CPU ${fmt(w.warmCpuMs)} ms), read ${fmt(mibs(r.firstMs))} then ${fmt(mibs(r.warmMs))} MiB/s (CPU ${fmt(r.warmCpuMs)} ms)`,
      )
      if (read.stdoutBytes !== 2 * size)
        throw new Error(`FsShell -cat printed ${read.stdoutBytes} bytes, not ${2 * size}`)
      if (round === 1 && (await lakeHash(location)) !== expected) throw new Error('FsShell wrote other bytes')
      await io.delete(location)
    },
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const names = ['lake', 'java', 'curl'] as const
    const order = names.map((_, k) => names[(k + round - 1) % names.length]!)
    for (const name of order) {
      progress(`(a) round ${round}/${ROUNDS}: ${name}`)
      await contenders[name](round)
    }
  }
  await rm(source, { force: true })

  const rate = (runs: JavaRun[], key: 'warmMs' | 'firstMs' | 'processMs') =>
    mibs(median(runs.map((r) => r[key])))
  const lakeW = mibs(median(lake.write))
  const lakeR = mibs(median(lake.read))
  const rows = [
    ['Hadoop FsShell, JIT-warm JVM (its 2nd run in one JVM, as in a long-running Java process)', 'warmMs'],
    ['Hadoop FsShell, 1st run in a fresh JVM (`hdfs dfs` less the JVM start and Hadoop init)', 'firstMs'],
    ['Hadoop FsShell, whole `hdfs dfs` process (JVM start + init + 1st run)', 'processMs'],
  ] as const
  const runs = [...java.write, ...java.read]

  print(`### (a) Throughput: one ${SIZE_MIB} MiB file, Lake vs Hadoop's Java client`)
  print()
  print(
    `Lake: \`WebHdfsFileIO.write\` streaming the local file in 1 MiB chunks (read into four reused buffers, as FsShell reuses its own), then \`readStream\` with the bytes counted: ` +
      "block reads by default (locations from `GET_BLOCK_LOCATIONS`, then `READ_BLOCK` to the transfer port, CRC-32C verified with the CPU's CRC instructions through the optional `@node-rs/crc32`), " +
      'then again with `nativeChecksums: false` (the same, CRC-32C in WebAssembly), then with `blockReads: false` (WebHDFS `OPEN`). ' +
      "Java: Hadoop 3.4.3's FsShell, the code of `hdfs dfs -put -f` and `hdfs dfs -cat`, on the stack's jars and configuration, one fresh JVM per " +
      'command that runs it twice (`bench/HdfsShellTimer.java` times each run inside the JVM after a warm-up `-test -e /`, and counts what `-cat` prints). ' +
      'curl: the same two WebHDFS steps (NameNode redirect, then `curl -T` to the DataNode; `curl -L` to read), to tell the client from the protocol. ' +
      `Same local source file, rounds rotating who goes first, a 2 s pause before each Lake and curl transfer (Java's come after its JVM's start; no forced GC), median of ${ROUNDS}; ` +
      "Lake's and Java's copies were read back and SHA-256 checked once.",
  )
  print()
  print('| client | write MiB/s | read MiB/s | Lake / this, write | Lake / this, read |')
  print('|---|---:|---:|---:|---:|')
  print(
    `| **Lake \`WebHdfsFileIO\`** (WebHDFS \`CREATE\` up; block reads down) | ${fmt(lakeW)} | ${fmt(lakeR)} | | |`,
  )
  const wasmR = mibs(median(lakeWasmCrc.read))
  print(
    `| Lake \`WebHdfsFileIO\`, \`nativeChecksums: false\` (block reads, CRC-32C in WebAssembly) | | ${fmt(wasmR)} | | ${ratio(lakeR / wasmR)} |`,
  )
  const openR = mibs(median(lakeOpen.read))
  print(
    `| Lake \`WebHdfsFileIO\`, \`blockReads: false\` (WebHDFS \`OPEN\`, Lake's HTTP reader) | | ${fmt(openR)} | | ${ratio(lakeR / openR)} |`,
  )
  const curlW = mibs(median(curl.write))
  const curlR = mibs(median(curl.read))
  print(
    `| curl, the same WebHDFS requests from C (the protocol's ceiling here) | ${fmt(curlW)} | ${fmt(curlR)} | ${ratio(lakeW / curlW)} | ${ratio(lakeR / curlR)} |`,
  )
  for (const [label, key] of rows) {
    const w = rate(java.write, key)
    const r = rate(java.read, key)
    const bold = key === 'warmMs' ? '**' : ''
    print(
      `| ${label} | ${fmt(w)} | ${fmt(r)} | ${bold}${ratio(lakeW / w)}${bold} | ${bold}${ratio(lakeR / r)}${bold} |`,
    )
  }
  print()
  print(
    `Fixed cost of each \`hdfs dfs\` run, median of ${runs.length}: JVM start to \`main\` ${fmt(median(runs.map((r) => r.startMs)))} ms, ` +
      `then Hadoop's classes, the FileSystem and the first RPC ${fmt(median(runs.map((r) => r.warmupMs)))} ms. ` +
      "Java speaks HDFS's own protocols (RPC to the NameNode, data transfer to the DataNode). Lake reads with the same data-transfer protocol, " +
      'and writes through WebHDFS, which the DataNode serves by running an HDFS client of its own (one more hop inside the DataNode).',
  )
  const perFile = (ms: number) => fmt((ms / 1000) * (256 / SIZE_MIB), 2)
  print()
  print(
    `Lake's CPU time (user + system, its whole process) per 256 MiB, median of ${ROUNDS}: write ${perFile(median(lakeCpu.write))} s, ` +
      `read ${perFile(median(lakeCpu.read))} s (reads: ${lakeCpu.read.map(perFile).join(', ')} s; ` +
      `full mark-compact GCs during each read: ${lakeCpu.readMajorGcs.join(', ')}); with CRCs in WebAssembly: ${perFile(median(lakeWasmCrc.cpu))} s; through \`OPEN\`: ${perFile(median(lakeOpen.cpu))} s. ` +
      'CPU time is what a busy machine cannot hide; wall time is what the other processes leave.',
  )
  const javaCpu = (runs: JavaRun[]) => median(runs.map((r) => r.warmCpuMs))
  const cpuW = median(lakeCpu.write) / javaCpu(java.write)
  const cpuR = median(lakeCpu.read) / javaCpu(java.read)
  print()
  print(
    `The JIT-warm JVM's CPU time (all its threads) per 256 MiB, median of ${ROUNDS}: write ${perFile(javaCpu(java.write))} s, read ${perFile(javaCpu(java.read))} s. ` +
      `Lake's CPU / warm Java's (lower is less CPU for Lake): write ${ratio(cpuW)}, read ${ratio(cpuR)}.`,
  )
  const warmW = lakeW / rate(java.write, 'warmMs')
  const warmR = lakeR / rate(java.read, 'warmMs')
  print()
  print(
    `Goal: Lake ≥ 0.8× Java with a JIT-warm JVM (the strictest row) both ways — **${Math.min(warmW, warmR) >= 0.8 ? 'met' : 'missed'}** ` +
      `(write ${ratio(warmW)}, read ${ratio(warmR)}).`,
  )
  print()
}

// ------------------------------------------------------------------ (b) commit latency

const schema = defineSchema({ id: col.long().required(), writer: col.int().required(), note: col.string() })

function rowsOf(first: number, count: number, writer = 0) {
  return Array.from({ length: count }, (_, i) => ({
    id: BigInt(first + i),
    writer,
    note: `row ${first + i}`,
  }))
}

async function ids(table: Table): Promise<bigint[]> {
  const scanned = await table.scan().toArrow()
  return Array.from(scanned.getChild('id')!.toArray() as BigInt64Array)
}

async function commitLatency(): Promise<number> {
  progress(`(b) ${COMMITS} sequential appends on HDFS and on local disk, interleaved`)
  const hdfsCatalog = new HadoopCatalog({
    warehouse: `${base}/commits`,
    io: new ResolvingFileIO({ hdfs: () => io }),
  })
  const localCatalog = new HadoopCatalog({ warehouse: join(local, 'commits'), io: new LocalFileIO() })
  await hdfsCatalog.createNamespace('bench')
  await localCatalog.createNamespace('bench')
  const tables = {
    hdfs: await hdfsCatalog.createTable('bench.commits', { schema }),
    local: await localCatalog.createTable('bench.commits', { schema }),
  }
  const times = { hdfs: [] as number[], local: [] as number[] }
  for (let i = 0; i < COMMITS; i++) {
    for (const name of i % 2 ? (['local', 'hdfs'] as const) : (['hdfs', 'local'] as const)) {
      const t = performance.now()
      await tables[name].append(rowsOf(i * COMMIT_ROWS, COMMIT_ROWS))
      times[name].push(performance.now() - t)
    }
    if ((i + 1) % COMMIT_BUCKET === 0) progress(`(b) ${i + 1}/${COMMITS}`)
  }
  const found = await ids(await hdfsCatalog.loadTable('bench.commits'))
  if (found.length !== COMMITS * COMMIT_ROWS) throw new Error(`HDFS table has ${found.length} rows`)

  print(`### (b) Commit latency: ${COMMITS} sequential appends of ${COMMIT_ROWS} rows`)
  print()
  print(
    'Each append writes a data file, a manifest, a manifest list and a metadata JSON, and commits by rename (Hadoop catalog). ' +
      'The same appends go to a table on local disk in the same loop, alternating which goes first.',
  )
  print()
  print('| commits | HDFS p50 ms | HDFS p99 ms | local p50 ms | local p99 ms |')
  print('|---|---:|---:|---:|---:|')
  for (let from = 0; from < COMMITS; from += COMMIT_BUCKET) {
    const h = times.hdfs.slice(from, from + COMMIT_BUCKET)
    const l = times.local.slice(from, from + COMMIT_BUCKET)
    print(
      `| ${from + 1}–${from + COMMIT_BUCKET} | ${fmt(percentile(h, 50), 1)} | ${fmt(percentile(h, 99), 1)} | ${fmt(percentile(l, 50), 1)} | ${fmt(percentile(l, 99), 1)} |`,
    )
  }
  const h50 = percentile(times.hdfs, 50)
  print(
    `| **all ${COMMITS}** | **${fmt(h50, 1)}** | **${fmt(percentile(times.hdfs, 99), 1)}** | ${fmt(percentile(times.local, 50), 1)} | ${fmt(percentile(times.local, 99), 1)} |`,
  )
  print()
  print(
    `HDFS / local p50: ${ratio(h50 / percentile(times.local, 50))}; one writer commits ${fmt(1000 / median(times.hdfs), 1)} appends/s on HDFS (1 / median).`,
  )
  print()
  await reloads(
    hdfsCatalog,
    () => new HadoopCatalog({ warehouse: `${base}/commits`, io: new ResolvingFileIO({ hdfs: () => io }) }),
  )
  return 1000 / median(times.hdfs)
}

/**
 * Reloading the unchanged table of (b), 200 snapshots deep: `table.refresh()` through the
 * catalog that read it (its metadata file known by length and modification time, so only the
 * version probes go to the NameNode) against a load by a new catalog, which reads and parses
 * the metadata file as every reload did before. Interleaved, the same count each.
 */
async function reloads(catalog: HadoopCatalog, fresh: () => HadoopCatalog): Promise<void> {
  const table = await catalog.loadTable('bench.commits')
  const size = (await io.stat(table.metadataLocation)).length
  const times = { refresh: [] as number[], fresh: [] as number[] }
  for (let i = 0; i < RELOADS; i++) {
    for (const name of i % 2 ? (['fresh', 'refresh'] as const) : (['refresh', 'fresh'] as const)) {
      const t = performance.now()
      if (name === 'refresh') await table.refresh()
      else await fresh().loadTable('bench.commits')
      times[name].push(performance.now() - t)
    }
  }
  print(
    `Reloading the unchanged table (${table.snapshots().length} snapshots, metadata ${fmt(size / 1024, 0)} KiB), ${RELOADS} times each, interleaved:`,
  )
  print()
  print('| reload | p50 ms | p99 ms |')
  print('|---|---:|---:|')
  print(
    `| \`table.refresh()\` (the catalog read this version before: version probes only) | ${fmt(percentile(times.refresh, 50), 1)} | ${fmt(percentile(times.refresh, 99), 1)} |`,
  )
  print(
    `| \`loadTable\` on a new catalog (reads and parses the metadata file) | ${fmt(percentile(times.fresh, 50), 1)} | ${fmt(percentile(times.fresh, 99), 1)} |`,
  )
  print()
  print(`Refresh / new load p50: ${ratio(percentile(times.refresh, 50) / percentile(times.fresh, 50))}.`)
  print()
}

// ------------------------------------------------------------------ (c) concurrent writers

async function concurrentWriters(sequentialPerSecond: number): Promise<void> {
  progress(`(c) ${WRITERS} writers × ${WRITER_APPENDS} appends to one table on HDFS`)
  const warehouse = `${base}/concurrent`
  const setup = new HadoopCatalog({ warehouse, io: new ResolvingFileIO({ hdfs: () => io }) })
  await setup.createNamespace('bench')
  // Iceberg's default of 4 retries is for occasional races; four writers race on every commit.
  const properties = { 'commit.retry.num-retries': '30', 'commit.retry.max-wait-ms': '2000' }
  await setup.createTable('bench.shared', { schema, properties })

  let conflicts = 0
  const latencies: number[] = []
  const failures: unknown[] = []
  const writer = async (w: number) => {
    // Each writer has its own client, catalog and table object, as separate processes would.
    const catalog = new HadoopCatalog({
      warehouse,
      io: new ResolvingFileIO({
        hdfs: () => new WebHdfsFileIO({ namenodes: [endpoints.namenodeHttp], user: 'lake' }),
      }),
      hooks: {
        counter: (name, value = 1) => {
          if (name === 'lake.catalog.commit_conflicts') conflicts += value
        },
      },
    })
    const table = await catalog.loadTable('bench.shared')
    for (let i = 0; i < WRITER_APPENDS; i++) {
      const t = performance.now()
      try {
        await table.append(rowsOf(w * 1_000_000 + i * WRITER_ROWS, WRITER_ROWS, w))
      } catch (error) {
        failures.push(error)
      }
      latencies.push(performance.now() - t)
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
  const seconds = (performance.now() - t0) / 1000

  const final = await setup.loadTable('bench.shared')
  const found = await ids(final)
  const expected = new Set<bigint>()
  for (let w = 0; w < WRITERS; w++)
    for (let i = 0; i < WRITER_APPENDS * WRITER_ROWS; i++) expected.add(BigInt(w * 1_000_000 + i))
  const unique = new Set(found)
  const exact =
    found.length === expected.size &&
    unique.size === expected.size &&
    [...expected].every((id) => unique.has(id))
  const snapshots = final.snapshots().length
  const commits = WRITERS * WRITER_APPENDS

  print(
    `### (c) ${WRITERS} concurrent writers × ${WRITER_APPENDS} appends of ${WRITER_ROWS} rows to one table`,
  )
  print()
  print(
    `Four writers in one Node process, each with its own WebHdfsFileIO, catalog and table object, append at once; every race for the next ` +
      `metadata version is decided by HDFS's rename. Table properties: ${Object.entries(properties)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(', ')}.`,
  )
  print()
  print(
    '| commits | failed appends | wall s | commits/s | vs one writer | conflicts retried | append p50 ms | append p99 ms |',
  )
  print('|---:|---:|---:|---:|---:|---:|---:|---:|')
  print(
    `| ${commits} | ${failures.length} | ${fmt(seconds, 1)} | ${fmt(commits / seconds, 1)} | ${ratio(commits / seconds / sequentialPerSecond)} | ${conflicts} | ${fmt(percentile(latencies, 50), 0)} | ${fmt(percentile(latencies, 99), 0)} |`,
  )
  print()
  print(
    `Nothing lost, **asserted**: ${found.length} rows read back (expected ${expected.size}, each id exactly once: ${exact ? 'yes' : 'NO'}), ` +
      `${snapshots} snapshots (expected ${commits}). "vs one writer" divides by the sequential rate of (b).`,
  )
  print()
  if (failures.length > 0) throw new Error(`${failures.length} appends failed; first: ${String(failures[0])}`)
  if (!exact || snapshots !== commits) throw new Error('concurrent appends lost or duplicated rows')
}

// ------------------------------------------------------------------ run

try {
  await io.mkdirs(base)
  if (COMMITS_ONLY) await commitLatency()
  else {
    await throughput()
    if (!THROUGHPUT_ONLY) await concurrentWriters(await commitLatency())
  }
} finally {
  await io.delete(base, { recursive: true }).catch(() => {})
  await rm(local, { recursive: true, force: true })
}

const date = new Date().toISOString().slice(0, 10)
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
console.log(`## hdfs\n`)
console.log(
  `\`pnpm bench hdfs ${SIZE_MIB} ${ROUNDS}\`, ${date}, Lake ${commit}; ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB ` +
    `(${(freemem() / 1024 ** 3).toFixed(1)} GiB free at the end), Node.js ${process.version}; the dev stack's HDFS (one NameNode, one DataNode, ` +
    `Hadoop 3.4.3 on OpenJDK, on the same 2 cores); load average ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end ` +
    `(other work shares the cores, hence interleaved runs and ratios); whole suite ${((performance.now() - started) / 60_000).toFixed(1)} min.\n`,
)
console.log(out.join('\n'))
