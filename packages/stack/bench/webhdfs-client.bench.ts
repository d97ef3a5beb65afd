// `pnpm bench stack`: a 256 MiB write and read through Lake's WebHdfsFileIO (Node's fetch, and
// node:http for the DataNode upload) and through the `webhdfs` npm package (on `request`),
// against the real HDFS of `pnpm stack up hdfs`. The numbers are in docs/decisions/0002.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
// Until @lake/catalog's index exports it.
import { WebHdfsFileIO } from '@lake/catalog'
// @ts-expect-error the package has no types
import WebHDFS from 'webhdfs'
import { hdfsEndpoints } from '../src/hdfs.mjs'

const MiB = 1 << 20
const sizeMiB = Number(process.argv[2] ?? 256)
const rounds = Number(process.argv[3] ?? 3)
const endpoints = hdfsEndpoints()
const url = new URL(endpoints.namenodeHttp)
const base = `/bench/webhdfs-${process.pid}`
const chunk = new Uint8Array(MiB)
for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24
const expected = digest(repeat())

function* repeat(): Iterable<Uint8Array> {
  for (let i = 0; i < sizeMiB; i++) yield chunk
}

function digest(chunks: Iterable<Uint8Array>): string {
  const hash = createHash('sha256')
  for (const c of chunks) hash.update(c)
  return hash.digest('hex')
}

interface Sample {
  seconds: number
  peakRssMiB: number
}

async function measure(run: () => Promise<void>): Promise<Sample> {
  ;(globalThis as { gc?: () => void }).gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  const started = performance.now()
  await run()
  const seconds = (performance.now() - started) / 1000
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  return { seconds, peakRssMiB: (peak - before) / MiB }
}

const lake = new WebHdfsFileIO({ namenodes: [endpoints.namenodeHttp], user: 'lake' })
const npm = WebHDFS.createClient({
  user: 'lake',
  host: url.hostname,
  port: Number(url.port),
  path: '/webhdfs/v1',
})

const clients = {
  'Lake WebHdfsFileIO (fetch + node:http)': {
    write: (path: string) =>
      lake.write(`${endpoints.fsUri}${path}`, Readable.from(repeat()), { overwrite: true }),
    read: async (path: string) => {
      const hash = createHash('sha256')
      for await (const c of lake.readStream(`${endpoints.fsUri}${path}`, { reuseChunks: true }))
        hash.update(c)
      check(hash.digest('hex'))
    },
  },
  'webhdfs npm 1.2.0 (request), streams': {
    write: (path: string) =>
      new Promise<void>((resolve, reject) => {
        const remote = npm.createWriteStream(path)
        remote.on('error', reject)
        remote.on('finish', resolve)
        Readable.from(repeat()).pipe(remote)
      }),
    read: (path: string) =>
      new Promise<void>((resolve, reject) => {
        const hash = createHash('sha256')
        const remote = npm.createReadStream(path)
        remote.on('error', reject)
        remote.on('data', (c: Buffer) => hash.update(c))
        remote.on('finish', () => {
          check(hash.digest('hex'))
          resolve()
        })
      }),
  },
}

function check(actual: string): void {
  if (actual !== expected) throw new Error('read back different bytes')
}

const results: Record<string, { write: Sample[]; read: Sample[] }> = {}
for (let round = 0; round < rounds; round++) {
  const names = Object.keys(clients) as (keyof typeof clients)[]
  for (const name of round % 2 === 0 ? names : names.reverse()) {
    const path = `${base}/${round}-${name.split(' ')[0]}.bin`
    results[name] ??= { write: [], read: [] }
    const entry = results[name]
    entry.write.push(await measure(() => clients[name].write(path)))
    entry.read.push(await measure(() => clients[name].read(path)))
    await lake.delete(`${endpoints.fsUri}${path}`)
  }
}
await lake.delete(`${endpoints.fsUri}${base}`, { recursive: true })

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(
  `\n${sizeMiB} MiB, median of ${rounds} rounds, one DataNode on 127.0.0.1, Node ${process.version}\n`,
)
console.log('| client | write MiB/s | read MiB/s | peak RSS growth write / read (MiB) |')
console.log('|---|---:|---:|---:|')
for (const [name, r] of Object.entries(results)) {
  const w = sizeMiB / median(r.write.map((s) => s.seconds))
  const rd = sizeMiB / median(r.read.map((s) => s.seconds))
  const mw = median(r.write.map((s) => s.peakRssMiB))
  const mr = median(r.read.map((s) => s.peakRssMiB))
  console.log(`| ${name} | ${w.toFixed(0)} | ${rd.toFixed(0)} | ${mw.toFixed(0)} / ${mr.toFixed(0)} |`)
}
