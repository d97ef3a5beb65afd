import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { httpGet } from './http-reader.js'

const servers: (Server | HttpServer)[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      ;(s as HttpServer).closeAllConnections?.()
      return new Promise((resolve) => s.close(resolve))
    }),
  )
})

async function listen<T extends Server | HttpServer>(server: T): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A server that answers every connection by writing `pieces` as they are, one write per turn. */
async function raw(pieces: (string | Uint8Array)[], end = true): Promise<string> {
  const server = createNetServer((socket) => {
    socket.once('data', async () => {
      for (const piece of pieces) {
        socket.write(piece)
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (end) socket.end()
    })
  })
  return `http://${await listen(server)}/`
}

function pattern(size: number, seed = 0): Uint8Array {
  return new Uint8Array(size).map((_, i) => (i * 31 + seed) % 251)
}

/** Reads a body to the end, copying each chunk (a chunk is lent until the next is asked for). */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: Uint8Array; sizes: number[] }> {
  const copies: Buffer[] = []
  for await (const chunk of body) copies.push(Buffer.from(chunk))
  return { bytes: new Uint8Array(Buffer.concat(copies)), sizes: copies.map((c) => c.byteLength) }
}

const MiB = 1 << 20

describe('httpGet', () => {
  it('streams a content-length body byte for byte in chunks from a small reused pool', async () => {
    const data = pattern(12 * MiB + 5)
    const address = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(data.byteLength) })
        res.end(data)
      }),
    )
    const response = await httpGet(`http://${address}/f`, { chunkSize: MiB })
    expect(response.status).toBe(200)
    expect(response.headers['content-length']).toBe(String(data.byteLength))
    const memory = new Set<ArrayBufferLike>()
    const copies: Buffer[] = []
    for await (const chunk of response.body) {
      expect(chunk.byteLength).toBeLessThanOrEqual(MiB)
      memory.add(chunk.buffer)
      copies.push(Buffer.from(chunk))
    }
    expect(Buffer.concat(copies).equals(data)).toBe(true)
    // 12 MiB went through a handful of 1 MiB chunks (the queue holds at most 2 MiB).
    expect(memory.size).toBeLessThanOrEqual(6)
  })

  it('keeps a chunk intact until the next one is asked for, however far the socket reads ahead', async () => {
    const data = pattern(8 * MiB, 7)
    const address = await listen(createHttpServer((_req, res) => res.end(data)))
    const response = await httpGet(`http://${address}/f`, { chunkSize: 256 * 1024 })
    let at = 0
    for await (const chunk of response.body) {
      const copy = Buffer.from(chunk)
      // Let the socket fill the pool meanwhile.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
      expect(Buffer.from(chunk).equals(copy)).toBe(true)
      expect(copy.equals(data.subarray(at, at + copy.byteLength))).toBe(true)
      at += chunk.byteLength
    }
    expect(at).toBe(data.byteLength)
  })

  it('reads a chunked body of many writes, as node:http sends one without a length', async () => {
    const data = pattern(3 * MiB + 1234, 3)
    const address = await listen(
      createHttpServer(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        for (let at = 0; at < data.byteLength; at += 100_003) {
          if (!res.write(data.subarray(at, at + 100_003))) await new Promise((r) => res.once('drain', r))
        }
        res.end()
      }),
    )
    const response = await httpGet(`http://${address}/f`)
    expect(response.headers['transfer-encoding']).toBe('chunked')
    expect(Buffer.from((await drain(response.body)).bytes).equals(data)).toBe(true)
  })

  it('parses chunk extensions, trailers and a framing split across reads', async () => {
    const url = await raw([
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r',
      '\n\r',
      '\n5;name=value\r\nhel',
      'lo\r\n',
      'A\r\n0123456789\r',
      '\n0\r\nX-Trailer: 1\r\n',
      '\r\n',
    ])
    const response = await httpGet(url)
    expect(new TextDecoder().decode((await drain(response.body)).bytes)).toBe('hello0123456789')
  })

  it('skips a 100 Continue and reads a body that ends with the connection', async () => {
    const url = await raw([
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhel',
      'lo',
    ])
    const response = await httpGet(url)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('hello')
  })

  it('hands out what arrived, then fails with ECONNRESET when the connection drops mid-body', async () => {
    const data = pattern(MiB)
    const address = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(data.byteLength) })
        res.write(data.subarray(0, 100_000), () => res.destroy())
      }),
    )
    const response = await httpGet(`http://${address}/f`)
    const copies: Buffer[] = []
    const error = await (async () => {
      for await (const chunk of response.body) copies.push(Buffer.from(chunk))
    })().catch((e) => e)
    expect(error.code).toBe('ECONNRESET')
    expect(Buffer.concat(copies).equals(data.subarray(0, 100_000))).toBe(true)
  })

  it('fails with ECONNRESET when a chunked body stops before its last chunk', async () => {
    const url = await raw(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'])
    const response = await httpGet(url)
    await expect(response.text()).rejects.toMatchObject({ code: 'ECONNRESET' })
  })

  it('pauses the socket while the consumer is slow, and loses nothing', async () => {
    const total = 64 * MiB
    const piece = pattern(MiB, 5)
    let flushed = 0
    let finished = false
    const address = await listen(
      createHttpServer(async (_req, res) => {
        res.writeHead(200, { 'content-length': String(total) })
        for (let at = 0; at < total && !res.destroyed; at += MiB) {
          const more = res.write(piece, () => {
            flushed += MiB
          })
          if (!more) await new Promise((r) => res.once('drain', r))
        }
        res.end(() => {
          finished = true
        })
      }),
    )
    const response = await httpGet(`http://${address}/f`, { chunkSize: MiB, highWaterMark: 2 * MiB })
    const iterator = response.body[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.value!.byteLength).toBeGreaterThan(0)
    let received = first.value!.byteLength
    // The consumer stalls: the server gets no further than what the pool and the kernel's
    // socket buffers hold, until the count stops moving.
    let last = -1
    while (flushed !== last) {
      last = flushed
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(finished).toBe(false)
    expect(flushed).toBeLessThan(total / 2)
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const offset = received % MiB
      expect(next.value[0]).toBe(piece[offset])
      received += next.value.byteLength
    }
    expect(received).toBe(total)
  })

  it('returns an error status with its body', async () => {
    const address = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(403, { 'content-type': 'application/json' })
        res.end('{"RemoteException":{"exception":"AccessControlException","message":"denied"}}')
      }),
    )
    const response = await httpGet(`http://${address}/f`)
    expect(response.status).toBe(403)
    expect(JSON.parse(await response.text()).RemoteException.exception).toBe('AccessControlException')
  })

  it("stops with the signal's reason when aborted mid-body", async () => {
    const address = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-length': String(10 * MiB) })
        res.write(pattern(1000))
      }),
    )
    const controller = new AbortController()
    const response = await httpGet(`http://${address}/f`, { signal: controller.signal })
    const iterator = response.body[Symbol.asyncIterator]()
    expect((await iterator.next()).value.byteLength).toBeGreaterThan(0)
    const pending = iterator.next()
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    await expect(httpGet(`http://${address}/f`, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    })
  })

  it('fails with ETIMEDOUT when the server falls silent', async () => {
    const url = await raw(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], false)
    const response = await httpGet(url, { idleTimeoutMs: 50 })
    await expect(response.text()).rejects.toMatchObject({ code: 'ETIMEDOUT' })
  })

  it('closes the connection when the consumer stops early', async () => {
    let closed: () => void
    const closedPromise = new Promise<void>((resolve) => {
      closed = resolve
    })
    const address = await listen(
      createNetServer((socket: Socket) => {
        socket.on('close', () => closed())
        socket.on('error', () => {})
        socket.once('data', () => {
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${100 * MiB}\r\n\r\n`)
          socket.write(pattern(MiB))
        })
      }),
    )
    const response = await httpGet(`http://${address}/f`)
    for await (const chunk of response.body) {
      expect(chunk.byteLength).toBeGreaterThan(0)
      break
    }
    await closedPromise
  })

  it('refuses an answer that is not HTTP/1.1', async () => {
    const url = await raw(['SSH-2.0-OpenSSH_9.6\r\n\r\n'])
    await expect(httpGet(url)).rejects.toMatchObject({ code: 'HPE_INVALID' })
  })

  it('reads over https', async () => {
    const fixtures = new URL('../../test/fixtures/tls/', import.meta.url)
    const cert = readFileSync(new URL('localhost.cert.pem', fixtures))
    const key = readFileSync(new URL('localhost.key.pem', fixtures))
    const data = pattern(2 * MiB + 3, 9)
    const address = await listen(createHttpsServer({ cert, key }, (_req, res) => res.end(data)))
    const port = address.split(':')[1]
    const response = await httpGet(`https://localhost:${port}/f`, { ca: cert })
    expect(Buffer.from((await drain(response.body)).bytes).equals(data)).toBe(true)
    await expect(httpGet(`https://localhost:${port}/f`)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    })
  })
})
