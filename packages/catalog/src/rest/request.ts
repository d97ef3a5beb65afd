import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import {
  type Namespace,
  parseNamespace,
  parseTableIdentifier,
  type TableIdentifier,
} from '../catalog/identifier.js'
import { type JsonValue, parseMetadataJson } from '../spec/snapshot.js'
import { badRequest, parseRequest, RestError } from './errors.js'

/** The unit separator between namespace levels in a URL (`%1F`), the spec's default. */
export const NAMESPACE_SEPARATOR = '\u001f'

/**
 * Reads a JSON body of at most `limit` bytes, ids exact (`bigint` past 2^53). A body over the
 * limit is refused with 413 as soon as its declared or received length says so.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<JsonValue> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit)
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.byteLength
    if (length > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    throw badRequest('The request body is not UTF-8')
  }
  if (text.trim() === '') throw badRequest('The request needs a JSON body')
  return parseRequest(() => parseMetadataJson(text))
}

function tooLarge(limit: number): RestError {
  return new RestError(413, 'RequestTooLargeException', `The request body is over ${limit} bytes`, {
    connection: 'close',
  })
}

/** One path segment, percent-decoded; a malformed escape is a bad request. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badRequest(`Malformed percent-encoding in the path: ${JSON.stringify(segment)}`)
  }
}

/**
 * A namespace from its URL form: levels joined by the unit separator, each percent-encoded.
 * Every level is validated as the SDK validates it, so `..`, `/` (sent as `%2F`) and control
 * characters are refused before anything reaches the catalog.
 */
export function namespaceFromPath(decoded: string): Namespace {
  return parseNamespace(decoded.split(NAMESPACE_SEPARATOR))
}

/** A namespace from a JSON body: an array of strings. */
export function namespaceFromJson(value: JsonValue | undefined, what: string): Namespace {
  if (!Array.isArray(value) || value.some((level) => typeof level !== 'string')) {
    throw badRequest(`${what} must be an array of strings`)
  }
  return parseNamespace(value as string[])
}

/** A table identifier from a JSON body: `{ namespace: [...], name }`. */
export function identifierFromJson(value: JsonValue | undefined, what: string): TableIdentifier {
  const object = asObject(value, what)
  if (typeof object.name !== 'string') throw badRequest(`${what}.name must be a string`)
  return parseTableIdentifier({
    namespace: namespaceFromJson(object.namespace, `${what}.namespace`),
    name: object.name,
  })
}

/** A JSON object, or a bad request naming `what`. */
export function asObject(value: JsonValue | undefined, what: string): Record<string, JsonValue> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`${what} must be a JSON object`)
  }
  return value as Record<string, JsonValue>
}

/** An object of strings from a JSON body (properties); `__proto__` stays a key. */
export function stringMapFromJson(value: JsonValue, what: string): Record<string, string> {
  const object = asObject(value, what)
  const out: Record<string, string> = {}
  for (const [key, v] of Object.entries(object)) {
    if (typeof v !== 'string') throw badRequest(`${what}.${key} must be a string`)
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** A boolean query parameter: `true`/`false` in any case (PyIceberg sends `True`). */
export function booleanParam(value: string | null, name: string): boolean {
  if (value === null || value === '') return false
  const lower = value.toLowerCase()
  if (lower === 'true') return true
  if (lower === 'false') return false
  throw badRequest(`Query parameter ${name} must be true or false`)
}

// ---------------------------------------------------------------------------------------------
// Authentication

/** How requests are authenticated: a static bearer token, a verifier, or both. */
export interface BearerAuth {
  token?: string | undefined
  verify?: ((token: string, req: IncomingMessage) => boolean | Promise<boolean>) | undefined
}

const CHALLENGE = 'Bearer realm="iceberg"'

/**
 * Checks the `Authorization: Bearer …` header. Without a token or verifier every request passes.
 * A missing or malformed header, or a token other than the configured one, is 401 with a
 * challenge; a token the verifier refuses is 403. A verifier that throws refuses too.
 */
export async function authenticate(req: IncomingMessage, auth: BearerAuth): Promise<void> {
  if (auth.token === undefined && auth.verify === undefined) return
  const header = req.headers.authorization
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  if (!match) {
    throw new RestError(401, 'NotAuthorizedException', 'A bearer token is required', {
      'www-authenticate': CHALLENGE,
    })
  }
  const token = match[1]!
  if (auth.token !== undefined && !sameSecret(token, auth.token)) {
    throw new RestError(401, 'NotAuthorizedException', 'The bearer token is not valid', {
      'www-authenticate': `${CHALLENGE}, error="invalid_token"`,
    })
  }
  if (auth.verify !== undefined) {
    let allowed = false
    try {
      allowed = (await auth.verify(token, req)) === true
    } catch {
      allowed = false
    }
    if (!allowed) throw new RestError(403, 'ForbiddenException', 'The bearer token may not do this')
  }
}

/** Compares secrets in constant time, whatever their lengths. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(a), digest(b))
}
