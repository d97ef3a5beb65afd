import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AlreadyExistsError, NotFoundError, StorageError } from '@lake/errors'
import { afterEach, describe, expect, it } from 'vitest'
import { type FakeDataNode, fakeDataNode } from '../../test/fake-datanode.js'
import { WebHdfsFileIO } from './webhdfs.js'

/**
 * A NameNode and DataNode in one tiny HTTP server, answering as WebHDFS does (307 to the
 * DataNode, `100 Continue` sent unasked on CREATE, RemoteException JSON), over an in-memory
 * tree. `fault` lets a test answer a request its own way first.
 */
type Fault = (req: IncomingMessage, res: ServerResponse, op: string, path: string) => boolean

interface FakeHdfs {
  address: string
  files: Map<string, Uint8Array | 'dir'>
  requests: string[]
  fault?: Fault
  pageSize: number
  /**
   * Set to answer `GET_BLOCK_LOCATIONS` (a server without it answers 400, as HttpFS does): files
   * are cut into blocks of `blockSize` served by the fake DataNode on `port`.
   */
  blocks?: { port: number; blockSize: number; data: Map<number, Uint8Array> }
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

function remote(res: ServerResponse, status: number, exception: string, message = exception): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      RemoteException: { exception, javaClassName: `org.apache.hadoop.${exception}`, message },
    }),
  )
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function status(path: string, entry: Uint8Array | 'dir', suffix: string) {
  return {
    pathSuffix: suffix,
    type: entry === 'dir' ? 'DIRECTORY' : 'FILE',
    length: entry === 'dir' ? 0 : entry.byteLength,
    modificationTime: 1_700_000_000_000,
    path,
  }
}

async function fakeHdfs(): Promise<FakeHdfs> {
  const fake: FakeHdfs = { address: '', files: new Map([['/', 'dir']]), requests: [], pageSize: 1000 }
  const mkdirs = (path: string) => {
    const parts = path.split('/').filter(Boolean)
    for (let i = 1; i <= parts.length; i++) fake.files.set(`/${parts.slice(0, i).join('/')}`, 'dir')
  }
  const parent = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/'
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    const datanode = url.pathname.startsWith('/datanode')
    const path = decodeURIComponent(url.pathname.replace(/^\/(datanode|webhdfs\/v1)/, '')) || '/'
    const op = url.searchParams.get('op')!
    fake.requests.push(`${datanode ? 'DN ' : ''}${op} ${path}`)
    if (fake.fault?.(req, res, op, path)) return
    const entry = fake.files.get(path)
    switch (op) {
      case 'GETFILESTATUS':
        if (!entry) return remote(res, 404, 'FileNotFoundException', `File does not exist: ${path}`)
        return json(res, { FileStatus: status(path, entry, '') })
      case 'LISTSTATUS_BATCH': {
        if (!entry) return remote(res, 404, 'FileNotFoundException')
        const after = url.searchParams.get('startAfter') ?? ''
        const children = [...fake.files.keys()]
          .filter((p) => p !== '/' && parent(p) === path)
          .map((p) => p.slice(p.lastIndexOf('/') + 1))
          .sort()
          .filter((name) => name > after)
        const page = children.slice(0, fake.pageSize)
        return json(res, {
          DirectoryListing: {
            partialListing: {
              FileStatuses: {
                FileStatus: page.map((name) =>
                  status(`${path}/${name}`, fake.files.get(`${path}/${name}`)!, name),
                ),
              },
            },
            remainingEntries: children.length - page.length,
          },
        })
      }
      case 'MKDIRS':
        mkdirs(path)
        return json(res, { boolean: true })
      case 'DELETE':
        for (const p of [...fake.files.keys()])
          if (p === path || p.startsWith(`${path}/`)) fake.files.delete(p)
        return json(res, { boolean: entry !== undefined })
      case 'RENAME': {
        const to = url.searchParams.get('destination')!
        if (!entry || fake.files.has(to) || !fake.files.has(parent(to))) return json(res, { boolean: false })
        fake.files.delete(path)
        fake.files.set(to, entry)
        return json(res, { boolean: true })
      }
      case 'OPEN': {
        if (!datanode) {
          res.writeHead(307, {
            location: `http://${req.headers.host}/datanode${url.pathname.slice(11)}${url.search}`,
          })
          return res.end()
        }
        if (!entry || entry === 'dir') return remote(res, 404, 'FileNotFoundException')
        const offset = Number(url.searchParams.get('offset') ?? 0)
        if (offset >= entry.byteLength && entry.byteLength > 0)
          return remote(res, 403, 'IOException', `Offset=${offset} out of the range [0, ${entry.byteLength})`)
        const length = url.searchParams.has('length')
          ? Number(url.searchParams.get('length'))
          : entry.byteLength
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        return res.end(entry.subarray(offset, offset + length))
      }
      case 'CREATE': {
        if (!datanode) {
          res.writeHead(307, {
            location: `http://${req.headers.host}/datanode${url.pathname.slice(11)}${url.search}`,
          })
          return res.end()
        }
        if (entry && url.searchParams.get('overwrite') !== 'true')
          return remote(res, 403, 'FileAlreadyExistsException', `${path} for client 127.0.0.1 already exists`)
        // As Hadoop's DataNode: `100 Continue` whether or not the client asked for it.
        res.writeContinue()
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          mkdirs(parent(path))
          fake.files.set(path, new Uint8Array(Buffer.concat(chunks)))
          res.writeHead(201, { location: `hdfs://nn${path}` })
          res.end()
        })
        return
      }
      case 'GET_BLOCK_LOCATIONS': {
        if (!fake.blocks) break
        if (!entry || entry === 'dir')
          return remote(res, 404, 'FileNotFoundException', `File does not exist: ${path}`)
        const { blockSize, port, data } = fake.blocks
        const offset = Number(url.searchParams.get('offset'))
        const end = offset + Number(url.searchParams.get('length'))
        const locatedBlocks = []
        for (let start = 0, index = 0; start < entry.byteLength; start += blockSize, index++) {
          const numBytes = Math.min(blockSize, entry.byteLength - start)
          if (start + numBytes <= offset || start >= end) continue
          const blockId = 1_073_741_825 + [...fake.files.keys()].indexOf(path) * 1000 + index
          data.set(blockId, entry.subarray(start, start + numBytes))
          locatedBlocks.push({
            block: { blockId, blockPoolId: 'BP-fake', generationStamp: 1001, numBytes },
            blockToken: { urlString: 'AAAAAA' },
            isCorrupt: false,
            locations: [{ ipAddr: '127.0.0.1', hostName: 'localhost', xferPort: port }],
            startOffset: start,
          })
        }
        return json(res, {
          LocatedBlocks: { fileLength: entry.byteLength, isUnderConstruction: false, locatedBlocks },
        })
      }
    }
    // An operation this server does not have, as WebHDFS answers it.
    remote(res, 400, 'IllegalArgumentException', `Invalid value for webhdfs parameter "op": ${op}`)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}

/** A port nothing listens on: a server opened and closed. */
async function deadAddress(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

const fast = { retries: 3, minDelayMs: 1, maxDelayMs: 5 }
const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

describe('WebHdfsFileIO', () => {
  it('writes through the DataNode redirect despite its unasked 100 Continue, and reads back', async () => {
    const fake = await fakeHdfs()
    const io = new WebHdfsFileIO({ namenodes: [fake.address], user: 'lake', retry: fast })
    await io.write('hdfs://nn:8020/w/a.txt', bytes('hello world'))
    expect(text(await io.read('hdfs://nn:8020/w/a.txt'))).toBe('hello world')
    expect(fake.requests).toContain('CREATE /w/a.txt')
    expect(fake.requests).toContain('DN CREATE /w/a.txt')
  })

  it('streams a write from chunks', async () => {
    const fake = await fakeHdfs()
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    async function* chunks() {
      for (let i = 0; i < 50; i++) yield new Uint8Array(64 * 1024).fill(i)
    }
    await io.write('hdfs://nn/big', chunks())
    const stored = fake.files.get('/big') as Uint8Array
    expect(stored.byteLength).toBe(50 * 64 * 1024)
    expect(stored[49 * 64 * 1024]).toBe(49)
  })

  it('refuses to create over an existing or in-creation file with AlreadyExistsError, and overwrites on request', async () => {
    const fake = await fakeHdfs()
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    await io.write('hdfs://nn/f', bytes('one'))
    await expect(io.write('hdfs://nn/f', bytes('two'))).rejects.toBeInstanceOf(AlreadyExistsError)
    fake.fault = (_req, res, op, path) => {
      if (op !== 'CREATE' || path !== '/g') return false
      remote(
        res,
        403,
        'AlreadyBeingCreatedException',
        'Failed to CREATE_FILE /g: the lease is owned by another client',
      )
      return true
    }
    await expect(io.write('hdfs://nn/g', bytes('two'))).rejects.toBeInstanceOf(AlreadyExistsError)
    await io.write('hdfs://nn/f', bytes('three'), { overwrite: true })
    expect(text(await io.read('hdfs://nn/f'))).toBe('three')
  })

  it('reads ranges with offset and length, and nothing past the end', async () => {
    const fake = await fakeHdfs()
    fake.files.set('/r', bytes('0123456789'))
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    expect(text(await io.readRange('hdfs://nn/r', 3, 4))).toBe('3456')
    expect(text(await io.readRange('hdfs://nn/r', 8, 10))).toBe('89')
    expect((await io.readRange('hdfs://nn/r', 10, 5)).byteLength).toBe(0)
    const buffer = await io.open('hdfs://nn/r')
    expect(buffer.byteLength).toBe(10)
    expect(text(new Uint8Array(await buffer.slice(7)))).toBe('789')
    expect(fake.requests).toContain('DN OPEN /r')
  })

  it('resumes a read cut off by the DataNode from the byte reached', async () => {
    const fake = await fakeHdfs()
    const data = new Uint8Array(256 * 1024).map((_, i) => i % 251)
    fake.files.set('/big', data)
    let cuts = 1
    fake.fault = (req, res, op) => {
      if (op !== 'OPEN' || !req.url!.startsWith('/datanode') || cuts-- <= 0) return false
      res.writeHead(200, { 'content-length': String(data.byteLength) })
      res.write(data.subarray(0, 100_000), () => res.destroy())
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    // Buffer comparison: toEqual walks 256 Ki elements one by one, seconds on a loaded machine.
    expect(Buffer.compare(await io.read('hdfs://nn/big'), data)).toBe(0)
    expect(fake.requests.filter((r) => r === 'DN OPEN /big')).toHaveLength(2)
  })

  it('reads a chunked DataNode answer, and resumes one dropped mid-chunk from the byte reached', async () => {
    const fake = await fakeHdfs()
    const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 253)
    fake.files.set('/c', data)
    const offsets: string[] = []
    let cuts = 1
    fake.fault = (req, res, op) => {
      if (op !== 'OPEN' || !req.url!.startsWith('/datanode')) return false
      const offset = Number(new URL(req.url!, 'http://x').searchParams.get('offset'))
      offsets.push(String(offset))
      // No content-length: node:http sends the body chunked, one HTTP chunk per write.
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const rest = data.subarray(offset)
      if (cuts-- > 0) {
        res.write(rest.subarray(0, 70_000))
        res.write(rest.subarray(70_000, 150_001), () => res.destroy())
        return true
      }
      for (let at = 0; at < rest.byteLength; at += 65_537) res.write(rest.subarray(at, at + 65_537))
      res.end()
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    expect(Buffer.compare(await io.read('hdfs://nn/c'), data)).toBe(0)
    expect(offsets[0]).toBe('0')
    expect(Number(offsets[1])).toBeGreaterThan(0)
    expect(Number(offsets[1])).toBeLessThanOrEqual(150_001)
  })

  it('streams to a slow consumer: each lent chunk intact until the next is asked for, nothing lost', async () => {
    const fake = await fakeHdfs()
    const data = new Uint8Array(12 * 1024 * 1024).map((_, i) => (i * 13) % 241)
    fake.files.set('/s', data)
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    let at = 1000
    for await (const chunk of io.readStream('hdfs://nn/s', { offset: 1000, reuseChunks: true })) {
      const copy = Buffer.from(chunk)
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
      expect(Buffer.compare(chunk, copy)).toBe(0)
      expect(Buffer.compare(copy, data.subarray(at, at + copy.byteLength))).toBe(0)
      at += chunk.byteLength
    }
    expect(at).toBe(data.byteLength)
    // read and readRange own their bytes: two results do not share memory.
    const [a, b] = await Promise.all([io.readRange('hdfs://nn/s', 0, 2_000_000), io.read('hdfs://nn/s')])
    expect(Buffer.compare(a, data.subarray(0, 2_000_000))).toBe(0)
    expect(Buffer.compare(b, data)).toBe(0)
  })

  it('gives chunks for the caller to keep unless they are lent', async () => {
    const fake = await fakeHdfs()
    const data = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 31) % 251)
    fake.files.set('/k', data)
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    const kept: Uint8Array[] = []
    for await (const chunk of io.readStream('hdfs://nn/k')) kept.push(chunk)
    expect(kept.length).toBeGreaterThan(1)
    expect(Buffer.compare(Buffer.concat(kept), data)).toBe(0)
    // Lent chunks come from a small pool: kept past their turn, the read's later bytes overwrite them.
    const lent: Uint8Array[] = []
    for await (const chunk of io.readStream('hdfs://nn/k', { reuseChunks: true })) lent.push(chunk)
    expect(Buffer.compare(Buffer.concat(lent), data)).not.toBe(0)
  })

  it('maps a DataNode error answer to the LakeErrors of its RemoteException, retrying only transient ones', async () => {
    const fake = await fakeHdfs()
    fake.files.set('/e', bytes('data'))
    let answer: 'denied' | 'missing' | 'flaky' = 'denied'
    let flaky = 2
    fake.fault = (req, res, op) => {
      if (op !== 'OPEN' || !req.url!.startsWith('/datanode')) return false
      if (answer === 'denied') remote(res, 403, 'AccessControlException', 'Permission denied: user=lake')
      else if (answer === 'missing') remote(res, 404, 'FileNotFoundException', 'File /e does not exist')
      else if (flaky-- > 0) remote(res, 500, 'NullPointerException')
      else return false
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    const denied = await io.read('hdfs://nn/e').catch((e) => e)
    expect(denied).toBeInstanceOf(StorageError)
    expect(denied.retryable).toBe(false)
    expect(denied.context).toMatchObject({ status: 403, remoteException: 'AccessControlException' })
    expect(fake.requests.filter((r) => r === 'DN OPEN /e')).toHaveLength(1)
    answer = 'missing'
    await expect(io.read('hdfs://nn/e')).rejects.toBeInstanceOf(NotFoundError)
    answer = 'flaky'
    expect(text(await io.read('hdfs://nn/e'))).toBe('data')
  })

  it('passes user.name, or the delegation token instead', async () => {
    const fake = await fakeHdfs()
    const seen: string[] = []
    fake.fault = (req) => {
      seen.push(req.url!)
      return false
    }
    await new WebHdfsFileIO({ namenodes: [fake.address], user: 'alice' }).exists('hdfs://nn/x')
    await new WebHdfsFileIO({ namenodes: [fake.address], delegationToken: 'tok' }).exists('hdfs://nn/x')
    expect(seen[0]).toContain('user.name=alice')
    expect(seen[1]).toContain('delegation=tok')
    expect(seen[1]).not.toContain('user.name')
  })

  it('fails over from a standby NameNode to the active one, and stays there', async () => {
    const standby = await fakeHdfs()
    standby.fault = (_req, res) => {
      remote(res, 403, 'StandbyException', 'Operation category READ is not supported in state standby')
      return true
    }
    const active = await fakeHdfs()
    active.files.set('/f', bytes('x'))
    const io = new WebHdfsFileIO({ namenodes: [standby.address, active.address], retry: fast })
    expect(await io.exists('hdfs://nn/f')).toBe(true)
    expect(await io.exists('hdfs://nn/f')).toBe(true)
    expect(standby.requests).toHaveLength(1)
    expect(active.requests).toHaveLength(2)
  })

  it('fails over when a NameNode cannot be reached', async () => {
    const active = await fakeHdfs()
    const io = new WebHdfsFileIO({ namenodes: [await deadAddress(), active.address], retry: fast })
    await io.mkdirs('hdfs://nn/d')
    expect(active.files.get('/d')).toBe('dir')
  })

  it('retries while the NameNode is in safe mode', async () => {
    const fake = await fakeHdfs()
    let refusals = 2
    fake.fault = (_req, res) => {
      if (refusals-- <= 0) return false
      remote(
        res,
        403,
        'RetriableException',
        'org.apache.hadoop.hdfs.server.namenode.SafeModeException: Name node is in safe mode.',
      )
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    await io.mkdirs('hdfs://nn/d')
    expect(fake.requests).toEqual(['MKDIRS /d', 'MKDIRS /d', 'MKDIRS /d'])
  })

  it('gives up on a lasting safe mode with a retryable StorageError', async () => {
    const fake = await fakeHdfs()
    fake.fault = (_req, res) => {
      remote(res, 403, 'SafeModeException', 'Name node is in safe mode.')
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: { ...fast, retries: 2 } })
    const error = await io.mkdirs('hdfs://nn/d').catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.retryable).toBe(true)
    expect(error.context.remoteException).toBe('SafeModeException')
    expect(fake.requests).toHaveLength(3)
  })

  it('fails a write with a retryable StorageError when the DataNode lost its NameNode', async () => {
    const fake = await fakeHdfs()
    // What a real DataNode answers when the NameNode stops while it receives the body.
    fake.fault = (req, res, op, path) => {
      if (!fake.requests.at(-1)?.startsWith('DN ')) return false
      req.resume()
      req.on('end', () =>
        remote(
          res,
          403,
          'EOFException',
          `End of File Exception between local host is: "dn/127.0.0.1"; destination host is: "nn":8020; ${op} ${path}`,
        ),
      )
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    const error = await io.write('hdfs://nn/f', bytes('x'.repeat(1000))).catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.retryable).toBe(true)
    expect(error.context).toMatchObject({ remoteException: 'EOFException', status: 403 })
    expect(error.context.executed).toBeUndefined()
  })

  it('retries a read while the NameNode knows no live DataNode for the block, as after its restart', async () => {
    const fake = await fakeHdfs()
    fake.files.set('/f', bytes('data'))
    let refusals = 2
    fake.fault = (_req, res, op) => {
      if (op !== 'OPEN' || refusals-- <= 0) return false
      remote(res, 403, 'IOException', 'No active nodes contain this block')
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    expect(text(await io.read('hdfs://nn/f'))).toBe('data')
    expect(fake.requests.filter((r) => r === 'OPEN /f')).toHaveLength(3)
  })

  it('maps RemoteExceptions: not found and permissions are final, 5xx and resets are retried', async () => {
    const fake = await fakeHdfs()
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    await expect(io.stat('hdfs://nn/missing')).rejects.toBeInstanceOf(NotFoundError)

    fake.fault = (_req, res) => {
      remote(res, 403, 'AccessControlException', 'Permission denied: user=lake, access=WRITE')
      return true
    }
    const denied = await io.mkdirs('hdfs://nn/d').catch((e) => e)
    expect(denied).toBeInstanceOf(StorageError)
    expect(denied.retryable).toBe(false)
    expect(denied.message).toContain('Permission denied')
    expect(fake.requests.filter((r) => r === 'MKDIRS /d')).toHaveLength(1)

    let failures = 2
    fake.fault = (req, res) => {
      if (failures-- <= 0) return false
      if (failures === 1) req.socket.destroy()
      else remote(res, 500, 'NullPointerException')
      return true
    }
    fake.files.set('/f', bytes('x'))
    expect(await io.exists('hdfs://nn/f')).toBe(true)
  })

  it('does not replay a RENAME whose connection was reset, as it may have landed', async () => {
    const fake = await fakeHdfs()
    fake.files.set('/t', bytes('x'))
    fake.fault = (req, _res, op) => {
      if (op !== 'RENAME') return false
      req.socket.destroy()
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    const error = await io.renameIfAbsent('hdfs://nn/t', 'hdfs://nn/v1').catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.retryable).toBe(true)
    expect(fake.requests.filter((r) => r.startsWith('RENAME'))).toHaveLength(1)
  })

  it('renames if absent: false when the target exists, NotFoundError when the source does not', async () => {
    const fake = await fakeHdfs()
    fake.files.set('/a', bytes('a'))
    fake.files.set('/b', bytes('b'))
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    expect(await io.renameIfAbsent('hdfs://nn/a', 'hdfs://nn/b')).toBe(false)
    expect(await io.renameIfAbsent('hdfs://nn/a', 'hdfs://nn/m/c')).toBe(true)
    expect(text(fake.files.get('/m/c') as Uint8Array)).toBe('a')
    await expect(io.renameIfAbsent('hdfs://nn/a', 'hdfs://nn/z')).rejects.toBeInstanceOf(NotFoundError)
  })

  it('takes a FileAlreadyExistsException on RENAME as a lost race', async () => {
    const fake = await fakeHdfs()
    fake.fault = (_req, res, op) => {
      if (op !== 'RENAME') return false
      remote(res, 403, 'FileAlreadyExistsException', 'rename destination /v1 already exists')
      return true
    }
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    expect(await io.renameIfAbsent('hdfs://nn/t', 'hdfs://nn/v1')).toBe(false)
  })

  it('lists a large directory page by page with LISTSTATUS_BATCH', async () => {
    const fake = await fakeHdfs()
    fake.pageSize = 2
    fake.files.set('/d', 'dir')
    for (const name of ['e', 'a', 'c', 'b', 'd']) fake.files.set(`/d/${name}`, bytes(name))
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    const listed = []
    for await (const status of io.list('hdfs://nn:8020/d/')) listed.push(status)
    expect(listed.map((s) => s.location)).toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((n) => `hdfs://nn:8020/d/${n}`),
    )
    expect(listed[0]).toMatchObject({ length: 1, isDirectory: false })
    expect(fake.requests.filter((r) => r.startsWith('LISTSTATUS_BATCH'))).toHaveLength(3)
    await expect(async () => {
      for await (const _ of io.list('hdfs://nn/missing'));
    }).rejects.toBeInstanceOf(NotFoundError)
  })

  it('sends names literally, percent signs and all', async () => {
    const fake = await fakeHdfs()
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    await io.write('hdfs://nn/t/k=a+b%2Fc/f 1', bytes('x'))
    expect(fake.files.has('/t/k=a+b%2Fc/f 1')).toBe(true)
  })

  it('deletes recursively and treats a missing file as deleted', async () => {
    const fake = await fakeHdfs()
    fake.files.set('/d', 'dir')
    fake.files.set('/d/x', bytes('x'))
    const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
    await io.delete('hdfs://nn/d', { recursive: true })
    await io.delete('hdfs://nn/d')
    expect(fake.files.has('/d/x')).toBe(false)
    expect(fake.requests).toContain('DELETE /d')
  })

  it('refuses a location that is not hdfs:// and bad options', () => {
    expect(() => new WebHdfsFileIO({ namenodes: [] })).toThrow(/namenodes/)
    expect(
      () =>
        new WebHdfsFileIO({
          namenodes: ['http://127.0.0.1:1'],
          nativeChecksums: 'yes' as unknown as boolean,
        }),
    ).toThrow(/nativeChecksums/)
    const io = new WebHdfsFileIO({ namenodes: ['http://127.0.0.1:1'] })
    return expect(io.stat('file:/tmp/x')).rejects.toThrow(/Not an HDFS location/)
  })

  describe('block reads', () => {
    const datanodes: FakeDataNode[] = []
    afterEach(async () => {
      await Promise.all(datanodes.splice(0).map((datanode) => datanode.close()))
    })

    /** A NameNode that hands out blocks of 256 KiB on a fake DataNode's transfer port. */
    async function cluster(file: Uint8Array) {
      const fake = await fakeHdfs()
      const data = new Map<number, Uint8Array>()
      const datanode = await fakeDataNode(data)
      datanodes.push(datanode)
      fake.blocks = { port: datanode.port, blockSize: 256 * 1024, data }
      fake.files.set('/f', file)
      return { fake, datanode }
    }

    const file = Uint8Array.from({ length: 700 * 1024 }, (_, i) => (i * 7 + (i >> 10)) & 0xff)
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

    it.each([true, false])(
      "reads block by block from the DataNode's transfer port, never through OPEN (nativeChecksums: %s)",
      async (nativeChecksums) => {
        const { fake, datanode } = await cluster(file)
        const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast, nativeChecksums })
        expect(same(await io.read('hdfs://nn/f'), file)).toBe(true)
        expect(
          same(await io.readRange('hdfs://nn/f', 262_000, 300_000), file.subarray(262_000, 562_000)),
        ).toBe(true)
        expect((await io.readRange('hdfs://nn/f', file.length, 10)).byteLength).toBe(0)
        expect(fake.requests.filter((r) => r.includes('OPEN'))).toEqual([])
        // One request for the block locations per read: a complete file ends at its length.
        expect(fake.requests.filter((r) => r.startsWith('GET_BLOCK_LOCATIONS'))).toHaveLength(3)
        expect(datanode.reads.map((r) => [(r.blockId - 1_073_741_825) % 1000, r.offset, r.length])).toEqual([
          [0, 0, 262_144],
          [1, 0, 262_144],
          [2, 0, 192_512],
          [0, 262_000, 144],
          [1, 0, 262_144],
          [2, 0, 37_712],
        ])
      },
    )

    it.each([true, false])(
      'hands the rest of a read to OPEN after a checksum mismatch, from the byte reached (nativeChecksums: %s)',
      async (nativeChecksums) => {
        const { fake, datanode } = await cluster(file)
        datanode.tamper = ({ read, offsetInBlock, data }) => {
          if ((read.blockId - 1_073_741_825) % 1000 === 1 && offsetInBlock === 65_536) data[5]! ^= 0xff
          return undefined
        }
        const events: string[] = []
        const io = new WebHdfsFileIO({
          namenodes: [fake.address],
          retry: fast,
          nativeChecksums,
          hooks: { log: (event) => events.push(event.event) },
        })
        expect(same(await io.read('hdfs://nn/f'), file)).toBe(true)
        expect(fake.requests.filter((r) => r.startsWith('DN OPEN'))).toHaveLength(1)
        expect(events).toContain('webhdfs.block_read.fallback')
        // The next read tries the transfer port again: it did answer.
        datanode.tamper = undefined
        expect(same(await io.read('hdfs://nn/f'), file)).toBe(true)
        expect(fake.requests.filter((r) => r.startsWith('DN OPEN'))).toHaveLength(1)
      },
    )

    it('reads through OPEN when the transfer port never answered, and stops asking for block locations', async () => {
      const { fake, datanode } = await cluster(file)
      await datanode.close()
      datanodes.splice(0)
      const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
      expect(same(await io.read('hdfs://nn/f'), file)).toBe(true)
      expect(same(await io.readRange('hdfs://nn/f', 5, 10), file.subarray(5, 15))).toBe(true)
      expect(fake.requests.filter((r) => r.startsWith('GET_BLOCK_LOCATIONS'))).toHaveLength(1)
      expect(fake.requests.filter((r) => r.startsWith('DN OPEN'))).toHaveLength(2)
    })

    it('reads through OPEN what the block locations do not cover, and a file being written', async () => {
      const { fake, datanode } = await cluster(file)
      let answer: 'no blocks' | 'under construction' = 'no blocks'
      fake.fault = (_req, res, op) => {
        if (op !== 'GET_BLOCK_LOCATIONS') return false
        const underConstruction = answer === 'under construction'
        json(res, {
          LocatedBlocks: {
            fileLength: file.length,
            isUnderConstruction: underConstruction,
            locatedBlocks: [],
          },
        })
        return true
      }
      const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
      expect(same(await io.readRange('hdfs://nn/f', 100, 1000), file.subarray(100, 1100))).toBe(true)
      answer = 'under construction'
      expect(same(await io.read('hdfs://nn/f'), file)).toBe(true)
      expect(fake.requests.filter((r) => r.startsWith('DN OPEN'))).toHaveLength(2)
      expect(datanode.reads).toEqual([])
    })

    it('fails a missing file with NotFoundError from the block locations, as OPEN would', async () => {
      const { fake } = await cluster(file)
      const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast })
      await expect(io.read('hdfs://nn/missing')).rejects.toBeInstanceOf(NotFoundError)
      expect(fake.requests.filter((r) => r.includes('OPEN'))).toEqual([])
    })

    it('reads through OPEN only with blockReads off, and by default with a delegation token', async () => {
      const { fake, datanode } = await cluster(file)
      for (const options of [{ blockReads: false }, { delegationToken: 'token' }]) {
        const io = new WebHdfsFileIO({ namenodes: [fake.address], retry: fast, ...options })
        expect(same(await io.readRange('hdfs://nn/f', 1, 5), file.subarray(1, 6))).toBe(true)
      }
      expect(fake.requests.filter((r) => r.startsWith('GET_BLOCK_LOCATIONS'))).toEqual([])
      expect(datanode.reads).toEqual([])
    })
  })
})
