/**
 * A small stand-in of Trino's statement protocol for unit tests of the client's state machine:
 * it serves a fixed result in pages and injects the faults a real network and coordinator
 * produce (503s, dropped connections, errors, session headers). The integration tests run
 * against the real Trino of the dev stack.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export interface FakeQuery {
  columns: { name: string; type: string }[]
  /** Pages of rows, as JSON text of each row array (so that long integers stay exact). */
  pages: string[][]
  /** Empty "still running" responses before the first page. */
  emptyPolls?: number
  error?: Record<string, unknown>
  /** Headers added to the POST's response. */
  responseHeaders?: Record<string, string>
  updateType?: string
  updateCount?: number
  /** Sends each page's `data` before its `columns` (Trino sends the columns first). */
  dataFirst?: boolean
  /**
   * The spooling protocol, when the client asks for the `json` encoding: each page's rows become
   * one spooled segment at `/v1/spooled/download/<id>/<page>` (ack at `/v1/spooled/ack/…`),
   * whose requests must carry the segment's header `X-Segment: <page>`.
   */
  spooling?: boolean
}

export type Fault = '503' | '502' | 'drop' | 'drop-mid-body'

export class FakeTrino {
  readonly requests: RecordedRequest[] = []
  /** Faults served to the next requests whose method and path match, one each. */
  readonly faults: { method: string; page?: number; segment?: number; fault: Fault }[] = []
  private server: Server | undefined
  private next = 0
  url = ''

  constructor(private readonly query: (sql: string, headers: IncomingMessage['headers']) => FakeQuery) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }

  gets(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET')
  }

  private queries = new Map<string, FakeQuery>()

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = ''
    for await (const chunk of req) body += chunk
    const recorded = { method: req.method!, url: req.url!, headers: req.headers, body }
    this.requests.push(recorded)
    const match = /^\/v1\/statement\/(\w+)\/(\d+)$/.exec(req.url!)
    const page = match ? Number(match[2]) : undefined
    const spooled = /^\/v1\/spooled\/(download|ack)\/(\w+)\/(\d+)$/.exec(req.url!)
    const segment = spooled?.[1] === 'download' ? Number(spooled[3]) : undefined
    const faultAt = this.faults.findIndex((f) =>
      f.segment !== undefined
        ? f.segment === segment && f.method === req.method
        : f.method === req.method && (f.page === undefined || f.page === page) && segment === undefined,
    )
    if (faultAt >= 0) {
      const { fault } = this.faults.splice(faultAt, 1)[0]!
      if (fault === 'drop') {
        req.socket.destroy()
        return
      }
      if (fault === '503' || fault === '502') {
        res.writeHead(Number(fault), { 'Content-Type': 'text/plain' }).end('Service Unavailable')
        return
      }
      if (fault === 'drop-mid-body') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' })
        res.write('{"id":"')
        setTimeout(() => req.socket.destroy(), 10)
        return
      }
    }
    if (req.method === 'POST' && req.url === '/v1/statement') {
      const id = `q${++this.next}`
      const query = this.query(body, req.headers)
      const spooling = query.spooling === true && req.headers['x-trino-query-data-encoding'] === 'json'
      this.queries.set(id, { ...query, spooling })
      res.writeHead(200, { 'Content-Type': 'application/json', ...(query.responseHeaders ?? {}) })
      res.end(this.results(id, 0, query))
      return
    }
    if (req.method === 'GET' && match) {
      const query = this.queries.get(match[1]!)!
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(this.results(match[1]!, page!, query))
      return
    }
    if (req.method === 'GET' && spooled) {
      const [, kind, id, n] = spooled
      if (req.headers['x-segment'] !== n) {
        res.writeHead(403).end('missing the segment header')
        return
      }
      if (kind === 'ack') {
        res.writeHead(200).end()
        return
      }
      const query = this.queries.get(id!)!
      const rows = Buffer.from(`[${query.pages[this.pageIndex(Number(n), query)]!.join(',')}]`)
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(rows)
      return
    }
    if (req.method === 'DELETE' && match) {
      res.writeHead(204).end()
      return
    }
    res.writeHead(404).end('not found')
  }

  /** The page of response `n`. */
  private pageIndex(n: number, query: FakeQuery): number {
    return n - 1 - (query.emptyPolls ?? 0)
  }

  /** Response `n` of a query: 0 is the POST's, then polls, then one per page. */
  private results(id: string, n: number, query: FakeQuery): string {
    const pageIndex = this.pageIndex(n, query)
    const last = query.error ? n >= 1 : pageIndex >= query.pages.length - 1
    const fields = [
      `"id":"${id}"`,
      `"stats":{"state":"${last ? (query.error ? 'FAILED' : 'FINISHED') : 'RUNNING'}","processedRows":${n * 10},"progressPercentage":${last ? 100 : n},"completedSplits":${n}}`,
    ]
    if (!last) fields.push(`"nextUri":"${this.url}/v1/statement/${id}/${n + 1}"`)
    if (n >= 1 && query.error) fields.push(`"error":${JSON.stringify(query.error)}`)
    const columnsAt = fields.length
    if (n >= 1 && !query.error) fields.push(`"columns":${JSON.stringify(query.columns)}`)
    if (pageIndex >= 0 && query.pages[pageIndex] !== undefined) {
      const data = query.spooling
        ? `"data":{"encoding":"json","segments":[{"type":"spooled","uri":"${this.url}/v1/spooled/download/${id}/${n}","ackUri":"${this.url}/v1/spooled/ack/${id}/${n}","headers":{"X-Segment":["${n}"]},"metadata":{"rowOffset":0,"rowsCount":${query.pages[pageIndex]!.length}}}]}`
        : `"data":[${query.pages[pageIndex]!.join(',')}]`
      if (query.dataFirst) fields.splice(columnsAt, 0, data)
      else fields.push(data)
    }
    if (last && query.updateType) fields.push(`"updateType":"${query.updateType}"`)
    if (last && query.updateCount !== undefined) fields.push(`"updateCount":${query.updateCount}`)
    return `{${fields.join(',')}}`
  }
}
