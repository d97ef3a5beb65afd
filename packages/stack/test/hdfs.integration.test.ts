// Lake on the real HDFS of `pnpm stack up hdfs`, through WebHDFS. Run with
// `pnpm exec vitest run --config packages/stack/vitest.integration.config.ts`.

import { request } from 'node:http'
import { col, defineSchema, eq, HadoopCatalog, ResolvingFileIO, WebHdfsFileIO } from '@lake/catalog'
import { AlreadyExistsError, NotFoundError } from '@lake/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// Until @lake/catalog's index exports it.
import { hdfsEndpoints } from '../src/hdfs.mjs'

const endpoints = hdfsEndpoints()
const run = `${endpoints.fsUri}/lake-it/${Date.now().toString(36)}-${process.pid}`
const io = new WebHdfsFileIO({ namenodes: [endpoints.namenodeHttp], user: 'lake' })
const bytes = (text: string) => new TextEncoder().encode(text)

/** WebHDFS `CREATE` with a block size of its own: the NameNode's 307, then the body to the DataNode. */
async function createWithBlockSize(location: string, data: Uint8Array, blockSize: number): Promise<void> {
  const path = new URL(location).pathname
  const redirect = await fetch(
    `${endpoints.namenodeHttp}/webhdfs/v1${path}?op=CREATE&user.name=lake&blocksize=${blockSize}&overwrite=true`,
    { method: 'PUT', redirect: 'manual' },
  )
  const target = redirect.headers.get('location')
  if (redirect.status !== 307 || !target) throw new Error(`CREATE answered ${redirect.status}`)
  // node:http, not fetch: the DataNode sends an unasked 100 Continue (docs/decisions/0002).
  await new Promise<void>((resolve, reject) => {
    const put = request(target, { method: 'PUT', headers: { 'content-length': data.length } }, (response) => {
      response.resume()
      response.on('end', () =>
        response.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`)),
      )
    })
    put.on('error', reject)
    put.end(data)
  })
}

beforeAll(async () => {
  try {
    const response = await fetch(`${endpoints.namenodeHttp}/webhdfs/v1/?op=GETFILESTATUS&user.name=lake`, {
      signal: AbortSignal.timeout(5_000),
    })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
  } catch (error) {
    throw new Error(
      `HDFS is not up at ${endpoints.namenodeHttp} (${(error as Error).message}). Run \`pnpm stack up hdfs\` first.`,
    )
  }
})

afterAll(async () => {
  await io.delete(run, { recursive: true }).catch(() => {})
})

describe('WebHdfsFileIO on HDFS', () => {
  it('writes, stats, lists, reads ranges and deletes', async () => {
    const dir = `${run}/io`
    await io.write(`${dir}/a/one.txt`, bytes('0123456789'))
    expect(await io.stat(`${dir}/a/one.txt`)).toMatchObject({ length: 10, isDirectory: false })
    expect(new TextDecoder().decode(await io.readRange(`${dir}/a/one.txt`, 2, 3))).toBe('234')
    expect((await io.readRange(`${dir}/a/one.txt`, 10, 3)).byteLength).toBe(0)
    const names = []
    for await (const status of io.list(dir)) names.push(status.location)
    expect(names).toEqual([`${dir}/a`])
    await expect(io.write(`${dir}/a/one.txt`, bytes('again'))).rejects.toBeInstanceOf(AlreadyExistsError)
    await io.delete(dir, { recursive: true })
    await expect(io.stat(`${dir}/a/one.txt`)).rejects.toBeInstanceOf(NotFoundError)
  })

  it('streams a 32 MiB file both ways', async () => {
    const chunk = new Uint8Array(1 << 20)
    async function* chunks() {
      for (let i = 0; i < 32; i++) yield chunk.fill(i)
    }
    await io.write(`${run}/big.bin`, chunks())
    let size = 0
    let last = -1
    for await (const part of io.readStream(`${run}/big.bin`)) {
      size += part.byteLength
      last = part[part.byteLength - 1]!
    }
    expect(size).toBe(32 << 20)
    expect(last).toBe(31)
    const buffer = await io.open(`${run}/big.bin`)
    expect(new Uint8Array(await buffer.slice(5 << 20, (5 << 20) + 2))).toEqual(new Uint8Array([5, 5]))
  })

  it('streams a range byte for byte through the DataNode, and reads whole files and ranges into arrays of their own', async () => {
    const data = new Uint8Array(9 << 20).map((_, i) => (i * 2654435761) >>> 24)
    await io.write(`${run}/ranges.bin`, data)
    const offset = 1_234_567
    const length = 5 << 20
    let at = offset
    for await (const chunk of io.readStream(`${run}/ranges.bin`, { offset, length })) {
      // A chunk is lent until the next is asked for; checked before asking.
      expect(Buffer.compare(chunk, data.subarray(at, at + chunk.byteLength))).toBe(0)
      at += chunk.byteLength
    }
    expect(at).toBe(offset + length)
    const [whole, range, tail] = await Promise.all([
      io.read(`${run}/ranges.bin`),
      io.readRange(`${run}/ranges.bin`, offset, length),
      io.readRange(`${run}/ranges.bin`, data.byteLength - 10, 100),
    ])
    expect(Buffer.compare(whole, data)).toBe(0)
    expect(Buffer.compare(range, data.subarray(offset, offset + length))).toBe(0)
    expect(Buffer.compare(tail, data.subarray(data.byteLength - 10))).toBe(0)
  })

  it('reads a file of many blocks straight from the DataNode transfer port, checksums verified, every range as WebHDFS OPEN gives it', async () => {
    // 1 MiB blocks (the NameNode's smallest), so a 5.5 MiB file has 6; written with WebHDFS's
    // own `blocksize` parameter, which Lake's writes do not set.
    const data = new Uint8Array(5.5 * (1 << 20)).map((_, i) => (i * 2246822519) >>> 23)
    const location = `${run}/blocks.bin`
    await createWithBlockSize(location, data, 1 << 20)
    const located = await fetch(
      `${endpoints.namenodeHttp}/webhdfs/v1${new URL(location).pathname}?op=GET_BLOCK_LOCATIONS&user.name=lake&offset=0&length=${data.length}`,
    ).then((response) => response.json() as Promise<{ LocatedBlocks: { locatedBlocks: unknown[] } }>)
    expect(located.LocatedBlocks.locatedBlocks).toHaveLength(6)
    const fallbacks: unknown[] = []
    const blocks = new WebHdfsFileIO({
      namenodes: [endpoints.namenodeHttp],
      user: 'lake',
      hooks: { log: (event) => fallbacks.push(event), counter: (name) => fallbacks.push(name) },
    })
    const open = new WebHdfsFileIO({ namenodes: [endpoints.namenodeHttp], user: 'lake', blockReads: false })
    expect(Buffer.compare(await blocks.read(location), data)).toBe(0)
    const ranges: [number, number][] = [
      [0, 1],
      [(1 << 20) - 3, 7],
      [511, 3 << 20],
      [data.length - 1, 5],
      [data.length, 5],
    ]
    for (let i = 0; i < 20; i++) {
      const offset = Math.floor((((i * 7919) % 997) / 997) * data.length)
      ranges.push([offset, (i * 104_729) % (2 << 20)])
    }
    for (const [offset, length] of ranges) {
      const [viaBlocks, viaOpen] = await Promise.all([
        blocks.readRange(location, offset, length),
        open.readRange(location, offset, length),
      ])
      expect(Buffer.compare(viaBlocks, viaOpen), `range ${offset}+${length}`).toBe(0)
      expect(Buffer.compare(viaBlocks, data.subarray(offset, offset + length))).toBe(0)
    }
    expect(fallbacks).toEqual([])
  })

  it('lets exactly one of 16 writers racing for a vN.metadata.json win with renameIfAbsent', async () => {
    const dir = `${run}/race/metadata`
    const temps = Array.from({ length: 16 }, (_, i) => `${dir}/${i}-${crypto.randomUUID()}.metadata.json`)
    await Promise.all(temps.map((temp, i) => io.write(temp, bytes(`writer ${i}`))))
    const won = await Promise.all(temps.map((temp) => io.renameIfAbsent(temp, `${dir}/v2.metadata.json`)))
    expect(won.filter(Boolean)).toHaveLength(1)
    const winner = won.indexOf(true)
    expect(new TextDecoder().decode(await io.read(`${dir}/v2.metadata.json`))).toBe(`writer ${winner}`)
  })

  it('lets exactly one of 16 writers create the same file', async () => {
    const target = `${run}/create-race/v1.metadata.json`
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => io.write(target, bytes(`writer ${i}`))),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason, String(r.reason)).toBeInstanceOf(AlreadyExistsError)
  })
})

describe('HadoopCatalog on HDFS', () => {
  it('creates a table, appends and scans back', async () => {
    const catalog = new HadoopCatalog({
      warehouse: `${run}/warehouse`,
      io: new ResolvingFileIO({ hdfs: () => io }),
    })
    await catalog.createNamespace('db')
    const table = await catalog.createTable('db.events', {
      schema: defineSchema({ id: col.long().required(), kind: col.string(), at: col.timestamptz() }),
      partitionBy: [{ source: 'at', transform: 'day' }],
    })
    expect(table.location).toBe(`${run}/warehouse/db/events`)
    await table.append([
      { id: 1n, kind: 'click', at: new Date('2026-01-01T10:00:00Z') },
      { id: 2n, kind: 'view', at: new Date('2026-01-02T10:00:00Z') },
    ])
    await table.append([{ id: 3n, kind: 'click', at: new Date('2026-01-02T11:00:00Z') }])
    const loaded = await catalog.loadTable('db.events')
    expect(loaded.metadataLocation).toBe(`${run}/warehouse/db/events/metadata/v3.metadata.json`)
    const all = await loaded.scan().toArrow()
    expect(all.numRows).toBe(3)
    const clicks = await loaded.scan({ filter: eq('kind', 'click') }).toArrow()
    expect(Array.from(clicks.getChild('id')!.toArray(), Number).sort()).toEqual([1, 3])
    expect(await catalog.listTables('db')).toEqual([{ namespace: ['db'], name: 'events' }])
  })
})
