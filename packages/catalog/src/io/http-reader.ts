/**
 * One HTTP/1.1 GET on its own connection, its body read without a fresh buffer per socket read.
 *
 * Why not `node:http`: it allocates a fresh 64 KiB buffer for every socket read, about 4,100
 * per 256 MiB. On a long-running process V8 can settle in a state where that external memory
 * runs a full mark-compact every ~20 MiB, and a 256 MiB read costs 0.6–1.2 s of CPU instead of
 * 0.25–0.5 s (docs/benchmarks.md, hdfs). Copying the bytes into fresh 1 MiB chunks was measured
 * and does not leave that state (the external bytes are the same); reusing memory does. So the
 * socket reads into one buffer (`onread`), and the body is copied into a small pool of chunks
 * of up to `chunkSize` bytes that is reused for the whole answer (`chunk-queue.ts`, shared with
 * the block reader).
 *
 * **A chunk of the body is the consumer's until it asks for the next one**; then its memory
 * may be refilled. Whoever keeps bytes copies them (`Buffer.from(chunk)`), as with a reused
 * `fs.read` buffer or Java's `InputStream.read(byte[])`. Why a pool and not views of the socket
 * buffer: a view would forbid the socket to read again until the consumer is done with it, so
 * nothing would be read ahead; the pool lets the socket fill other chunks meanwhile (up to
 * `highWaterMark`), at the cost of one memory copy, a few ms per 256 MiB. A chunk that frees up
 * goes to the back of the pool, so it is the last to be refilled. When the consumer waits, what
 * has arrived is handed out at once as a view of the chunk being filled (later bytes go after
 * it), so a slow server does not delay data.
 *
 * Supported: `http:` and `https:` (TLS), `content-length`, chunked and read-until-close bodies,
 * 1xx answers skipped (Hadoop's DataNode sends `100 Continue` unasked), an idle timeout, an
 * `AbortSignal`, and backpressure (the socket pauses while `highWaterMark` bytes wait for the
 * consumer). Not supported, as the DataNode needs none of it: redirects, request bodies,
 * compression, and reuse of the connection (the request says `connection: close`).
 *
 * Failures are errors with Node's system `code`s, as `node:http` gives them, so callers keep one
 * mapping: `ECONNRESET` for a connection closed before the end of the head or the body,
 * `ETIMEDOUT` for the idle timeout, `HPE_INVALID` for an answer that is not HTTP/1.1.
 *
 * @module
 */
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import { ChunkQueue } from './chunk-queue.js'

/** Options of {@link httpGet}. */
export interface HttpGetOptions {
  /** Destroys the connection; a pending or later read rejects with the signal's reason. */
  signal?: AbortSignal
  /** Longest silence allowed on the socket (connecting, the head, between body bytes), in ms. */
  idleTimeoutMs?: number
  /**
   * Size of the pooled chunks the body is copied into, so the largest chunk handed out (a body
   * of known length shorter than this gets a chunk of its length). Default 1 MiB.
   */
  chunkSize?: number
  /** Body bytes waiting for the consumer at which the socket is paused. Default 2 MiB. */
  highWaterMark?: number
  /** Extra request headers. */
  headers?: Record<string, string>
  /** Certificates to trust for `https:` instead of Node's bundled ones (a private CA). */
  ca?: string | Buffer | Array<string | Buffer>
}

/** The answer to {@link httpGet}: its head, and its body to read once. */
export interface HttpResponse {
  /** The status code of the final (non-1xx) answer. */
  status: number
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>
  /**
   * The body. Each chunk is valid until the next is requested (its memory is then reused):
   * copy what you keep. Leaving the loop early closes the connection. Rejects with an
   * `ECONNRESET` error when the connection ends before the body does.
   */
  body: AsyncIterable<Uint8Array>
  /** Reads the whole body as UTF-8 text. */
  text(): Promise<string>
  /** Closes the connection, dropping what is left of the body. */
  close(): void
}

const SOCKET_BUFFER = 64 * 1024
const MAX_HEAD = 64 * 1024
const MiB = 1024 * 1024
const EMPTY = Buffer.alloc(0)

/** An error with a system-style `code`, as `node:http` raises them. */
function fault(message: string, code: string): Error {
  return Object.assign(new Error(message), { code })
}

/**
 * GETs `url` on a new connection and resolves once the head of the final answer has arrived.
 * The body streams from {@link HttpResponse.body}; nothing of it is read ahead beyond
 * `highWaterMark`.
 *
 * @example
 * ```ts
 * const response = await httpGet('http://datanode:9864/webhdfs/v1/f?op=OPEN', { idleTimeoutMs: 60_000 })
 * if (response.status !== 200) throw new Error(await response.text())
 * for await (const chunk of response.body) hash.update(chunk)
 * ```
 */
export function httpGet(url: string | URL, options: HttpGetOptions = {}): Promise<HttpResponse> {
  const target = typeof url === 'string' ? new URL(url) : url
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new TypeError(`httpGet supports http: and https:, not ${target.protocol}`))
  }
  if (options.signal?.aborted) return Promise.reject(options.signal.reason)
  return new Connection(target, options).response
}

type State =
  | 'head'
  | 'length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-end'
  | 'trailers'
  | 'until-close'
  | 'done'

/** One request's connection: it parses what the socket reads and queues body chunks. */
class Connection {
  readonly response: Promise<HttpResponse>
  readonly #socket: Socket
  readonly #chunkSize: number
  readonly #signal: AbortSignal | undefined
  #resolveHead!: (response: HttpResponse) => void
  #rejectHead!: (error: unknown) => void
  #headSent = false

  #state: State = 'head'
  /** Bytes of the head received so far (small; copied out of the socket buffer). */
  #head: Buffer = EMPTY
  /** Body bytes still expected: of a `content-length` body, or of the current HTTP chunk. */
  #remaining = 0
  /** The line being read in the chunked framing (a size line or a trailer). */
  #line = ''

  /** The body's chunks on their way to the consumer. */
  readonly #queue: ChunkQueue
  /** The size of the next chunk when the body's length is unknown (doubles to `chunkSize`). */
  #nextUnknown = SOCKET_BUFFER

  constructor(url: URL, options: HttpGetOptions) {
    this.#chunkSize = options.chunkSize ?? MiB
    this.#signal = options.signal
    this.#queue = new ChunkQueue({
      highWaterMark: options.highWaterMark ?? 2 * MiB,
      resume: () => this.#socket.resume(),
      eager: true,
    })
    this.response = new Promise((resolve, reject) => {
      this.#resolveHead = resolve
      this.#rejectHead = reject
    })
    // A failure before the head arrives rejects `response`; one after, the body's reads.
    this.response.catch(() => {})
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const secure = url.protocol === 'https:'
    const port = Number(url.port) || (secure ? 443 : 80)
    const onread = { buffer: Buffer.allocUnsafeSlow(SOCKET_BUFFER), callback: this.#onRead }
    this.#socket = secure
      ? // `onread` is honoured by tls.connect too (Node ≥ 14.5), though its types omit it.
        tlsConnect({
          host,
          port,
          onread,
          ...(isIP(host) ? {} : { servername: host }),
          ...(options.ca ? { ca: options.ca } : {}),
        } as ConnectionOptions)
      : netConnect({ host, port, onread })
    const headers = {
      host: url.host,
      accept: '*/*',
      connection: 'close',
      ...options.headers,
    }
    let request = `GET ${url.pathname}${url.search} HTTP/1.1\r\n`
    for (const [name, value] of Object.entries(headers)) request += `${name}: ${value}\r\n`
    this.#socket.write(`${request}\r\n`)
    this.#socket.on('end', this.#onEnd)
    this.#socket.on('error', (error) => this.#fail(error))
    this.#socket.on('close', () => this.#onEnd())
    if (options.idleTimeoutMs !== undefined) {
      this.#socket.setTimeout(options.idleTimeoutMs, () =>
        this.#fail(fault(`No answer from ${url.host} within ${options.idleTimeoutMs} ms`, 'ETIMEDOUT')),
      )
    }
    if (this.#signal) {
      this.#signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  // ------------------------------------------------------------------------------ socket side

  readonly #onAbort = () => this.#fail(this.#signal!.reason)

  /** Called by the socket with the bytes it read into the one reused buffer. */
  readonly #onRead = (length: number, buffer: Buffer): boolean => {
    try {
      this.#parse(buffer, 0, length)
    } catch (error) {
      this.#fail(error)
      return false
    }
    // A waiting consumer gets what has arrived now, rather than when the chunk is full.
    return this.#queue.afterRead(this.#state === 'done')
  }

  readonly #onEnd = () => {
    if (this.#state === 'done' || this.#queue.closed) return
    if (this.#state === 'until-close') {
      this.#finish()
      return
    }
    const what = this.#state === 'head' ? 'the response head' : 'the end of the body'
    this.#fail(fault(`The connection closed before ${what}`, 'ECONNRESET'))
  }

  #parse(buffer: Buffer, start: number, end: number): void {
    let at = start
    while (at < end) {
      switch (this.#state) {
        case 'head':
          at = this.#readHead(buffer, at, end)
          break
        case 'length':
        case 'until-close':
        case 'chunk-data': {
          const take = this.#state === 'until-close' ? end - at : Math.min(end - at, this.#remaining)
          this.#copy(buffer, at, take)
          at += take
          if (this.#state === 'until-close') break
          this.#remaining -= take
          if (this.#remaining > 0) break
          if (this.#state === 'length') this.#finish()
          else this.#state = 'chunk-end'
          break
        }
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers':
          at = this.#readLine(buffer, at, end)
          break
        case 'done':
          return
      }
    }
  }

  /** Collects head bytes until the blank line, then parses them; returns where the body starts. */
  #readHead(buffer: Buffer, at: number, end: number): number {
    const before = this.#head.length
    this.#head = Buffer.concat([this.#head, buffer.subarray(at, end)])
    // The blank line may straddle two reads: search from three bytes before this piece.
    const blank = this.#head.indexOf('\r\n\r\n', Math.max(0, before - 3))
    if (blank < 0) {
      if (this.#head.length > MAX_HEAD)
        throw fault(`A response head over ${MAX_HEAD} bytes`, 'HPE_HEADER_OVERFLOW')
      return end
    }
    const head = this.#head.toString('latin1', 0, blank)
    this.#head = EMPTY
    this.#onHead(head)
    return at + blank + 4 - before
  }

  #onHead(head: string): void {
    const lines = head.split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!)
    if (!status) throw fault(`Not an HTTP/1.1 answer: ${lines[0]!.slice(0, 80)}`, 'HPE_INVALID')
    const code = Number(status[1])
    // 1xx answers (`100 Continue`) come before the real one.
    if (code < 200) return
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      if (line === '') continue
      const colon = line.indexOf(':')
      if (colon <= 0) throw fault(`A malformed header line: ${line.slice(0, 80)}`, 'HPE_INVALID')
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value
    }
    const chunked = /(?:^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'] ?? '')
    if (code === 204 || code === 304) {
      this.#state = 'done'
    } else if (chunked) {
      this.#state = 'chunk-size'
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length'])
      if (!Number.isSafeInteger(length) || length < 0 || !/^\d+$/.test(headers['content-length'])) {
        throw fault(`A malformed content-length: ${headers['content-length']}`, 'HPE_INVALID')
      }
      this.#remaining = length
      this.#state = length === 0 ? 'done' : 'length'
    } else {
      this.#state = 'until-close'
    }
    this.#headSent = true
    this.#resolveHead({
      status: code,
      headers,
      body: { [Symbol.asyncIterator]: () => this.#queue.iterator(() => this.#close()) },
      text: () => this.#text(),
      close: () => this.#close(),
    })
    if (this.#state === 'done') this.#finish()
  }

  /** One line of the chunked framing: a size, the CRLF after a chunk's data, or a trailer. */
  #readLine(buffer: Buffer, at: number, end: number): number {
    const newline = buffer.indexOf(10, at)
    const stop = newline < 0 || newline >= end ? end : newline
    this.#line += buffer.toString('latin1', at, stop)
    if (this.#line.length > 4096) throw fault('A chunked-encoding line over 4096 bytes', 'HPE_INVALID')
    if (stop === end) return end
    const line = this.#line.replace(/\r$/, '')
    this.#line = ''
    if (this.#state === 'chunk-end') {
      if (line !== '') throw fault('No CRLF after a chunk of the body', 'HPE_INVALID')
      this.#state = 'chunk-size'
    } else if (this.#state === 'chunk-size') {
      const size = /^([0-9a-fA-F]{1,13})[ \t]*(?:;.*)?$/.exec(line)
      if (!size) throw fault(`A malformed chunk size: ${line.slice(0, 80)}`, 'HPE_INVALID')
      this.#remaining = Number.parseInt(size[1]!, 16)
      this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data'
    } else if (line === '') {
      this.#finish()
    }
    return newline + 1
  }

  /** Copies body bytes out of the socket buffer into pooled chunks. */
  #copy(buffer: Buffer, at: number, length: number): void {
    const queue = this.#queue
    let from = at
    let left = length
    while (left > 0) {
      if (queue.room === 0) queue.start(this.#nextChunkSize())
      const take = Math.min(left, queue.room)
      queue.write(buffer, from, take)
      from += take
      left -= take
      if (queue.room === 0) queue.publish()
    }
  }

  /** The size of the next chunk: the rest of a body of known length, else growing. */
  #nextChunkSize(): number {
    if (this.#state === 'length') return Math.min(this.#chunkSize, this.#remaining)
    const size = Math.min(this.#chunkSize, this.#nextUnknown)
    this.#nextUnknown = Math.min(this.#chunkSize, this.#nextUnknown * 2)
    return size
  }

  #finish(): void {
    this.#state = 'done'
    this.#queue.end()
    this.#disconnect()
  }

  #fail(error: unknown): void {
    if (this.#queue.closed) return
    // The bytes that did arrive are the consumer's; a resumed read starts after them.
    this.#queue.fail(error ?? fault('The connection failed', 'ECONNRESET'))
    this.#disconnect()
    if (!this.#headSent) this.#rejectHead(error ?? fault('The connection failed', 'ECONNRESET'))
  }

  #close(): void {
    this.#queue.close()
    this.#disconnect()
  }

  /** The connection is not reused: it goes once the answer is complete or abandoned. */
  #disconnect(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#socket.setTimeout(0)
    this.#socket.destroy()
  }

  async #text(): Promise<string> {
    const chunks: Buffer[] = []
    const body = this.#queue.iterator(() => this.#close())
    for (let step = await body.next(); !step.done; step = await body.next())
      chunks.push(Buffer.from(step.value))
    return Buffer.concat(chunks).toString('utf8')
  }
}
