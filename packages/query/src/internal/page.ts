/**
 * A response of Trino's statement protocol read from its UTF-8 bytes: every top-level member but
 * `data` is parsed as JSON (they are small: id, URIs, columns, stats, error); `data`, nearly all
 * of a page, is handed to a decoder that reads the rows straight into Arrow column builders,
 * with no `JSON.parse` of the rows and no intermediate JS arrays.
 */
import { parseJsonLossless, skipValue, skipWhitespace, stringEndAt } from './json.js'

/**
 * Reads the value of the `data` member that starts at byte `at`, given the members read before
 * it; returns the index after the value.
 */
export type DataReader = (before: Readonly<Record<string, unknown>>, at: number) => number

/**
 * Parses one response body: the members other than `data`, in a null-prototype object.
 *
 * @throws SyntaxError when the body is not a JSON object
 */
export function parsePage(body: Uint8Array, readData: DataReader): Record<string, unknown> {
  const members: Record<string, unknown> = Object.create(null)
  let at = skipWhitespace(body, 0)
  if (body[at] !== 123) throw new SyntaxError('a response is not a JSON object')
  at = skipWhitespace(body, at + 1)
  if (body[at] === 125) return end(body, at + 1, members)
  for (;;) {
    if (body[at] !== 34) throw new SyntaxError(`expected a member name at byte ${at}`)
    const nameEnd = stringEndAt(body, at)
    const name = JSON.parse(text(body, at, nameEnd)) as string
    at = skipWhitespace(body, nameEnd)
    if (body[at] !== 58) throw new SyntaxError(`expected ':' at byte ${at}`)
    at = skipWhitespace(body, at + 1)
    let valueEnd: number
    if (name === 'data') valueEnd = readData(members, at)
    else {
      valueEnd = skipValue(body, at)
      members[name] = parseJsonLossless(text(body, at, valueEnd))
    }
    at = skipWhitespace(body, valueEnd)
    if (body[at] === 44) at = skipWhitespace(body, at + 1)
    else if (body[at] === 125) return end(body, at + 1, members)
    else throw new SyntaxError(`expected ',' or '}' at byte ${at}`)
  }
}

function end(body: Uint8Array, at: number, members: Record<string, unknown>): Record<string, unknown> {
  if (skipWhitespace(body, at) !== body.length) throw new SyntaxError(`text after the object at byte ${at}`)
  return members
}

/** The UTF-8 text of `bytes[start..end)`. */
export function text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8')
}
