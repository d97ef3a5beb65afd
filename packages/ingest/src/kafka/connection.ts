/**
 * One TCP (or TLS) connection to a Kafka broker: requests framed with a size and request header
 * v1, responses matched by correlation id, several in flight at once.
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
  readonly apiKey: number
}

/** A connection to one broker; every failure of it is a retryable `IngestError` naming the broker. */
export class BrokerConnection {
  readonly #socket: Socket
  readonly #options: ConnectOptions
  readonly #pending = new Map<number, Pending>()
  #correlationId = 0
  /** Received bytes not yet a whole response. */
  #chunks: Buffer[] = []
  #buffered = 0
  #failure: IngestError | undefined

  private constructor(
    socket: Socket,
    /** `host:port`, for errors. */
    readonly address: string,
    options: ConnectOptions,
  ) {
    this.#socket = socket
    this.#options = options
    socket.on('data', (chunk: Buffer) => this.#received(chunk))
    socket.on('error', (error) => this.#fail(this.#error(`failed: ${error.message}`, error)))
    socket.on('close', () => this.#fail(this.#error('closed')))
  }

  /** Connects to `host:port`, failing after `connectTimeoutMs`. */
  static open(host: string, port: number, options: ConnectOptions): Promise<BrokerConnection> {
    const address = `${host}:${port}`
    return new Promise((resolve, reject) => {
      const tls = options.ssl
      const socket = tls
        ? connectTls({ host, port, servername: host, ...(tls === true ? {} : tls) })
        : connectTcp({ host, port })
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
        resolve(new BrokerConnection(socket, address, options))
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
        apiKey: request.apiKey,
      })
      this.#socket.write(header)
      this.#socket.write(request.body)
    })
  }

  close(): void {
    this.#fail(this.#error('closed by Lake'))
  }

  #received(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    while (this.#buffered >= 4) {
      const first = this.#chunks[0]!
      const size = first.length >= 4 ? first.readInt32BE(0) : Buffer.concat(this.#chunks).readInt32BE(0)
      if (this.#buffered < 4 + size) return
      const all = this.#chunks.length === 1 ? first : Buffer.concat(this.#chunks, this.#buffered)
      const response = all.subarray(4, 4 + size)
      const rest = all.subarray(4 + size)
      this.#chunks = rest.length ? [rest] : []
      this.#buffered = rest.length
      this.#respond(response)
    }
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
