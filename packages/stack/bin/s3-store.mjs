#!/usr/bin/env node
// The dev stack's S3-compatible store (see src/s3.mjs): the few S3 calls Trino's file system
// spooling manager makes — PutObject, GetObject (with a byte range), HeadObject, DeleteObject,
// DeleteObjects, ListObjectsV2 — on path-style URLs, over one folder per bucket. Requests are not
// authenticated; bodies the AWS SDK sends in its `aws-chunked` framing (signed chunks, checksum
// trailers) are unframed. Objects are written beside and renamed, so a reader never sees half of
// one. Started by `pnpm stack up s3` (or `up trino`); settings come from the environment.
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { dirname, join, relative, sep } from 'node:path'
import { s3Endpoint } from '../src/s3.mjs'

const endpoint = s3Endpoint()
await mkdir(endpoint.root, { recursive: true })

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(`${new Date().toISOString()} ${req.method} ${req.url}: ${error.stack ?? error}`)
    if (!res.headersSent) send(res, 500, errorXml('InternalError', String(error.message ?? error)))
    else res.destroy()
  })
})
server.keepAliveTimeout = 60_000
server.listen(endpoint.port, endpoint.host, () => {
  console.error(`${new Date().toISOString()} S3 store at ${endpoint.url} over ${endpoint.root}`)
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
async function handle(req, res) {
  const url = new URL(req.url ?? '/', endpoint.url)
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/')
  const key = decodeURIComponent(rest.join('/'))
  const bucketDir = safeJoin(endpoint.root, decodeURIComponent(bucket))
  if (bucketDir === undefined || bucket === '') return send(res, 400, errorXml('InvalidBucketName', bucket))
  if (key === '') return handleBucket(req, res, url, bucketDir)
  const file = safeJoin(bucketDir, key)
  if (file === undefined) return send(res, 400, errorXml('InvalidArgument', key))
  switch (req.method) {
    case 'PUT': {
      const body = unframe(req.headers, await readBody(req))
      await mkdir(dirname(file), { recursive: true })
      const staging = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.part`
      await writeFile(staging, body)
      await rename(staging, file)
      res.setHeader('ETag', `"${body.length.toString(16)}-${Date.now().toString(16)}"`)
      return send(res, 200, '')
    }
    case 'GET':
    case 'HEAD': {
      const info = await stat(file).catch(() => undefined)
      if (info === undefined || !info.isFile()) return send(res, 404, errorXml('NoSuchKey', key))
      return sendObject(req, res, file, info)
    }
    case 'DELETE':
      await rm(file, { force: true })
      return send(res, 204, '')
    default:
      return send(res, 405, errorXml('MethodNotAllowed', req.method ?? ''))
  }
}

/**
 * Bucket-level calls: create (PUT), exists (HEAD), list (GET ?list-type=2), DeleteObjects.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {URL} url
 * @param {string} bucketDir
 */
async function handleBucket(req, res, url, bucketDir) {
  if (req.method === 'PUT') {
    await mkdir(bucketDir, { recursive: true })
    return send(res, 200, '')
  }
  if (req.method === 'HEAD') return send(res, 200, '')
  if (req.method === 'POST' && url.searchParams.has('delete')) {
    const body = unframe(req.headers, await readBody(req)).toString('utf8')
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ''))
    const deleted = []
    for (const key of keys) {
      const file = safeJoin(bucketDir, key)
      if (file !== undefined) await rm(file, { force: true })
      deleted.push(`<Deleted><Key>${escapeXml(key)}</Key></Deleted>`)
    }
    return send(res, 200, xml(`<DeleteResult>${deleted.join('')}</DeleteResult>`))
  }
  if (req.method === 'GET') {
    const prefix = url.searchParams.get('prefix') ?? ''
    const max = Number(url.searchParams.get('max-keys') ?? 1000)
    const after = url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? ''
    const all = (await listFiles(bucketDir)).filter((o) => o.key.startsWith(prefix) && o.key > after)
    all.sort((a, b) => (a.key < b.key ? -1 : 1))
    const page = all.slice(0, max)
    const truncated = all.length > page.length
    const contents = page
      .map(
        (o) =>
          `<Contents><Key>${escapeXml(o.key)}</Key><LastModified>${o.modified.toISOString()}</LastModified>` +
          `<Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('')
    const next = truncated
      ? `<NextContinuationToken>${escapeXml(page.at(-1)?.key ?? '')}</NextContinuationToken>`
      : ''
    return send(
      res,
      200,
      xml(
        `<ListBucketResult><Name>${escapeXml(url.pathname.slice(1))}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
          `<KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${next}${contents}</ListBucketResult>`,
      ),
    )
  }
  return send(res, 405, errorXml('MethodNotAllowed', req.method ?? ''))
}

/**
 * GET or HEAD of an object, whole or one `Range: bytes=a-b`.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {string} file
 * @param {import('node:fs').Stats} info
 */
async function sendObject(req, res, file, info) {
  const size = info.size
  let start = 0
  let end = size - 1
  let status = 200
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '')
  if (range !== null) {
    if (range[1] === '') start = Math.max(0, size - Number(range[2]))
    else {
      start = Number(range[1])
      if (range[2] !== '') end = Math.min(end, Number(range[2]))
    }
    if (start >= size && size > 0) return send(res, 416, errorXml('InvalidRange', req.headers.range ?? ''))
    status = 206
    res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`)
  }
  res.setHeader('Content-Length', Math.max(0, end - start + 1))
  res.setHeader('Last-Modified', info.mtime.toUTCString())
  res.setHeader('ETag', `"${size.toString(16)}-${info.mtimeMs.toString(16)}"`)
  res.setHeader('Accept-Ranges', 'bytes')
  res.setHeader('Content-Type', 'application/octet-stream')
  res.statusCode = status
  if (req.method === 'HEAD' || end < start) return void res.end()
  // Opened first, so an object deleted in between is a 404 rather than a broken stream.
  const handle = await open(file, 'r').catch(() => undefined)
  if (handle === undefined) return send(res, 404, errorXml('NoSuchKey', file))
  const stream = handle.createReadStream({ start, end })
  stream.on('error', () => res.destroy())
  stream.pipe(res)
}

/**
 * The object's bytes of a body the AWS SDK framed as `aws-chunked` (`<hex size>[;chunk-signature=…]\r\n<bytes>\r\n`
 * …, a zero-size chunk, then trailers such as a checksum); other bodies as they are.
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @param {Buffer} body
 */
function unframe(headers, body) {
  const sha = String(headers['x-amz-content-sha256'] ?? '')
  const encoding = String(headers['content-encoding'] ?? '')
  if (!sha.startsWith('STREAMING-') && !encoding.includes('aws-chunked')) return body
  const parts = []
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd < 0) throw new Error('an aws-chunked body ends inside a chunk header')
    const size = Number.parseInt(body.toString('latin1', at, lineEnd).split(';')[0] ?? '', 16)
    if (!Number.isInteger(size)) throw new Error('an aws-chunked chunk header has no size')
    if (size === 0) break
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  const data = Buffer.concat(parts)
  const declared = headers['x-amz-decoded-content-length']
  if (declared !== undefined && Number(declared) !== data.length) {
    throw new Error(`aws-chunked body of ${data.length} bytes, ${declared} declared`)
  }
  return data
}

/** @param {import('node:http').IncomingMessage} req */
async function readBody(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * Every object under a bucket's folder (objects being written are not listed).
 * @param {string} bucketDir
 * @returns {Promise<{ key: string, size: number, modified: Date }[]>}
 */
async function listFiles(bucketDir) {
  const entries = await readdir(bucketDir, { recursive: true, withFileTypes: true }).catch(() => [])
  const files = []
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.endsWith('.part')) continue
    const path = join(entry.parentPath ?? entry.path, entry.name)
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) continue
    files.push({ key: relative(bucketDir, path).split(sep).join('/'), size: info.size, modified: info.mtime })
  }
  return files
}

/**
 * `root/path`, or undefined when `path` would leave `root`.
 * @param {string} root
 * @param {string} path
 */
function safeJoin(root, path) {
  const joined = join(root, path)
  const inside = relative(root, joined)
  return inside === '' || inside.startsWith('..') || inside.includes(`${sep}..${sep}`) ? undefined : joined
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} body
 */
function send(res, status, body) {
  res.statusCode = status
  if (body !== '') res.setHeader('Content-Type', 'application/xml')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.end(body)
}

/** @param {string} body */
function xml(body) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`
}

/**
 * @param {string} code
 * @param {string} message
 */
function errorXml(code, message) {
  return xml(`<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`)
}

/** @param {string} text */
function escapeXml(text) {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** @param {string} text */
function unescapeXml(text) {
  return text
    .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}
