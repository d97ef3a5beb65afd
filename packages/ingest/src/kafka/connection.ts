/**
 * One TCP (or TLS) connection to a Kafka broker: requests framed with a size and request header
 * v1, responses matched by correlation id, several in flight at once. Over plain TCP each
 * response is read straight into a buffer of its size (Node's `onread`), so a fetch's records
 * are never copied on their way in; over TLS the decrypted chunks are copied into it.
 *
 * @module
 */
import { connect as connectTcp, type Socket } from 'node:net'
import { type ConnectionOptions, connect as connectTls } from 'node:tls'
import { IngestError } from '@lake/errors'
import type { Request } from './protocol.js'
import { Reader, Writer } from './wire.js'

export interface ConnectOptions {
  readonly clientId: string
  /** TLS as kafkajs's `ssl` option takes it: `true`, or Node's TLS connection options. */
  readonly ssl?: boolean | ConnectionOptions | undefined
  readonly connectTimeoutMs: number
  /** How long a response may take beyond what the request itself asks the broker to wait. */
  readonly requestTimeoutMs: number
}

interface Pending {
  readonly decode: (reader: Reader) => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
  readonly timer: NodeJS.Timeout
}

/** The largest response accepted, 1 GiB: a larger size is a corrupt stream, not a response. */
const MAX_RESPONSE_BYTES = 2 ** 30

/**
 * Cuts the byte stream into responses: first each one's 4-byte size, then its body, each read
 * into {@link Framer.target} in place.
 */
export class Framer {
  readonly #size = Buffer.alloc(4)
  #sizeFilled = 0
  #body: Buffer | undefined
  #bodyFilled = 0

  constructor(
    public onResponse: (body: Buffer) => void,
    public onError: (why: string) => void,
  ) {}

  /** Where the next bytes go: the rest of the size, or of the body. */
  target(): Buffer {
    return this.#body ? this.#body.subarray(this.#bodyFilled) : this.#size.subarray(this.#sizeFilled)
  }

  /** `count` bytes were written into the last {@link target}. */
  filled(count: number): void {
    if (this.#body) {
      this.#bodyFilled += count
      if (this.#bodyFilled < this.#body.length) return
      const body = this.#body
      this.#body = undefined
      this.#bodyFilled = 0
      this.onResponse(body)
      return
    }
    this.#sizeFilled += count
    if (this.#sizeFilled < 4) return
    this.#sizeFilled = 0
    const size = this.#size.readInt32BE(0)
    if (size < 4 || size > MAX_RESPONSE_BYTES) this.onError(`sent a response of ${size} bytes`)
    else this.#body = Buffer.allocUnsafe(size)
  }

  /** Copies a chunk in (TLS, whose chunks cannot be read in place). */
  copy(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      const target = this.target()
      const count = Math.min(target.length, chunk.length - at)
      chunk.copy(target, 0, at, at + count)
      at += count
      this.filled(count)
    }
  }
}

/** A connection to one broker; every failure of it is a retryable `IngestError` naming the broker. */
export class BrokerConnection {
  readonly #socket: Socket
  readonly #options: ConnectOptions
  readonly #pending = new Map<number, Pending>()
  #correlationId = 0
  #failure: IngestError | undefined

  private constructor(
    socket: Socket,
    framer: Framer,
    /** `host:port`, for errors. */
    readonly address: string,
    options: ConnectOptions,
  ) {
    this.#socket = socket
    this.#options = options
    framer.onResponse = (body) => this.#respond(body)
    framer.onError = (why) => this.#fail(this.#error(why))
    if (options.ssl) socket.on('data', (chunk: Buffer) => framer.copy(chunk))
    socket.on('error', (error) => this.#fail(this.#error(`failed: ${error.message}`, error)))
    socket.on('close', () => this.#fail(this.#error('closed')))
  }

  /** Connects to `host:port`, failing after `connectTimeoutMs`. */
  static open(host: string, port: number, options: ConnectOptions): Promise<BrokerConnection> {
    const address = `${host}:${port}`
    return new Promise((resolve, reject) => {
      const tls = options.ssl
      // Its handlers are the connection's once it exists; Kafka sends nothing before a request.
      const framer = new Framer(
        () => {},
        () => {},
      )
      const socket = tls
        ? connectTls({ host, port, servername: host, ...(tls === true ? {} : tls) })
        : connectTcp({
            host,
            port,
            onread: {
              buffer: () => framer.target(),
              callback: (count: number) => {
                framer.filled(count)
                return true
              },
            },
          })
      socket.setNoDelay(true)
      const fail = (error: Error) => {
        clearTimeout(timer)
        socket.destroy()
        reject(
          new IngestError(`Connecting to Kafka broker ${address} failed: ${error.message}`, {
            retryable: true,
            cause: error,
            context: { broker: address },
          }),
        )
      }
      const timer = setTimeout(
        () => fail(new Error(`no connection within ${options.connectTimeoutMs} ms`)),
        options.connectTimeoutMs,
      )
      socket.once('error', fail)
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer)
        socket.off('error', fail)
        resolve(new BrokerConnection(socket, framer, address, options))
      })
    })
  }

  /** Whether the connection failed or was closed: a new one is needed. */
  get closed(): boolean {
    return this.#failure !== undefined
  }

  /** Sends a request; `waitMs` is how long the request asks the broker to wait (a fetch's `maxWaitMs`). */
  send<T>(request: Request<T>, waitMs = 0): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure)
    this.#correlationId = (this.#correlationId + 1) | 0
    const correlationId = this.#correlationId
    const header = new Writer(64)
      .int32(0) // the size, set below
      .int16(request.apiKey)
      .int16(request.apiVersion)
      .int32(correlationId)
      .string(this.#options.clientId)
      .bytes()
    header.writeInt32BE(header.length - 4 + request.body.length, 0)
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.#options.requestTimeoutMs + waitMs
      const timer = setTimeout(() => {
        // A response that is late may never come, and the ones after it wait behind it.
        this.#fail(this.#error(`sent no response to request ${request.apiKey} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(correlationId, {
        decode: request.decode,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      })
      this.#socket.write(header)
      this.#socket.write(request.body)
    })
  }

  close(): void {
    this.#fail(this.#error('closed by Lake'))
  }

  #respond(response: Buffer): void {
    const reader = new Reader(response, 0, response.length, `A response from Kafka broker ${this.address}`)
    const correlationId = reader.int32()
    const pending = this.#pending.get(correlationId)
    if (!pending) {
      this.#fail(this.#error(`answered correlation id ${correlationId}, which no request has`))
      return
    }
    this.#pending.delete(correlationId)
    clearTimeout(pending.timer)
    try {
      pending.resolve(pending.decode(reader))
    } catch (error) {
      pending.reject(error)
    }
  }

  #error(what: string, cause?: Error): IngestError {
    return new IngestError(`The connection to Kafka broker ${this.address} ${what}`, {
      retryable: true,
      ...(cause ? { cause } : {}),
      context: { broker: this.address },
    })
  }

  #fail(error: IngestError): void {
    if (this.#failure) return
    this.#failure = error
    this.#socket.destroy()
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
    this.#pending.clear()
  }
}
