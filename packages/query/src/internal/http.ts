/**
 * The HTTP exchange of Trino's client protocol on `node:http`/`node:https`: keep-alive
 * connections, TLS with a custom CA or client certificate, AbortSignal, and the body as bytes.
 */
import http from 'node:http'
import https from 'node:https'
import { QueryError } from '@lake/errors'

/** TLS settings of the connection to Trino. */
export interface TlsSettings {
  ca?: string | Buffer | undefined
  cert?: string | Buffer | undefined
  key?: string | Buffer | undefined
  passphrase?: string | undefined
  rejectUnauthorized?: boolean | undefined
  servername?: string | undefined
}

/** One response: status, headers, and the body's bytes (UTF-8 JSON, decoded by the reader). */
export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** Why an exchange failed before a whole response arrived. */
export class TransportError extends QueryError {
  override name = 'TransportError'
  constructor(
    message: string,
    /**
     * True when the server provably never read the request: the connection was refused or not
     * resolved, or a reused keep-alive connection had been closed by the server.
     */
    readonly notSent: boolean,
    cause: unknown,
    context: Record<string, unknown>,
  ) {
    super(message, { cause, retryable: true, context })
  }
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/** A keep-alive connection pool to one Trino coordinator. */
export class HttpTransport {
  private readonly agent: http.Agent
  private readonly secure: boolean

  constructor(
    readonly server: URL,
    tls: TlsSettings | undefined,
  ) {
    this.secure = server.protocol === 'https:'
    this.agent = this.secure
      ? new https.Agent({ keepAlive: true, ...(tls ?? {}) })
      : new http.Agent({ keepAlive: true })
  }

  /** Sends one request; rejects with a {@link TransportError} when no whole response arrives. */
  request(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const target = new URL(url, this.server)
    const send = target.protocol === 'https:' ? https.request : http.request
    return new Promise((resolve, reject) => {
      const sent: Record<string, string | number> = { ...headers }
      if (body !== undefined) sent['Content-Length'] = Buffer.byteLength(body)
      const options: http.RequestOptions = { method, agent: this.agent, headers: sent }
      if (signal !== undefined) options.signal = signal
      let responded = false
      const req = send(target, options, (res) => {
        responded = true
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          if (!res.complete) {
            reject(this.fail(method, target, new Error('the response ended early'), false))
            return
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          })
        })
        res.on('error', (error) => reject(this.fail(method, target, error, false)))
        res.on('aborted', () =>
          reject(this.fail(method, target, new Error('the response was aborted'), false)),
        )
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.name === 'AbortError') {
          reject(error)
          return
        }
        // A kept-alive connection the server had closed while idle (a restart, its idle
        // timeout) resets before any answer: the server never read the request (Node's
        // documented case for retrying on `reusedSocket`).
        const stale = req.reusedSocket && error.code === 'ECONNRESET' && !responded
        reject(this.fail(method, target, error, stale || NOT_SENT_CODES.has(error.code ?? '')))
      })
      req.end(body)
    })
  }

  private fail(method: string, target: URL, cause: Error, notSent: boolean): TransportError {
    return new TransportError(
      `${method} ${target.origin}${target.pathname} failed: ${cause.message}`,
      notSent,
      cause,
      { url: `${target.origin}${target.pathname}` },
    )
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy()
  }
}
