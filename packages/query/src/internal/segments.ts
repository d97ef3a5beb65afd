/**
 * The `data` of Trino's spooling protocol: instead of an array of rows, an object naming the
 * encoding and a list of segments, each either inline (base64 in the response) or spooled (a URI
 * to fetch, with the headers to send, and a URI to acknowledge it by). A segment holds the same
 * JSON array of rows as the direct protocol's `data`, compressed as a whole for `json+zstd`
 * (a zstd frame) and `json+lz4` (one LZ4 block) when it is large enough to be worth it.
 *
 * @module
 */
import { QueryError } from '@lake/errors'
import { decompress as zstdDecompress } from 'fzstd'
import { lz4DecompressBlock } from './lz4.js'

/** A segment's description, as Trino sends it. */
export interface SegmentMetadata {
  rowOffset?: number
  rowsCount?: number
  /** Bytes of the segment as stored (compressed or not). */
  segmentSize?: number
  /** Bytes once decompressed; absent when the segment is not compressed (below the threshold). */
  uncompressedSize?: number
}

/** A segment whose bytes are in the response, in base64. */
export interface InlineSegment {
  type: 'inline'
  data: string
  metadata: SegmentMetadata
}

/** A segment to fetch from `uri` with `headers`, then acknowledge at `ackUri`. */
export interface SpooledSegment {
  type: 'spooled'
  uri: string
  ackUri?: string
  headers?: Record<string, string[]>
  metadata: SegmentMetadata
}

/** One segment of a spooled response. */
export type Segment = InlineSegment | SpooledSegment

/** The `data` member of a response of the spooling protocol. */
export interface EncodedQueryData {
  encoding: string
  segments: Segment[]
}

/**
 * The encodings this client decodes, in the order `auto` asks for them: LZ4 first, as it cost the
 * least client CPU of the compressed ones in `pnpm bench query` (zstd decompresses in plain JS).
 */
export const ENCODINGS = ['json+lz4', 'json+zstd', 'json'] as const

/**
 * Checks a parsed `data` object of the spooling protocol.
 *
 * @throws QueryError when it is not one
 */
export function encodedQueryData(value: unknown, queryId: string | undefined): EncodedQueryData {
  const data = value as Partial<EncodedQueryData> | null
  if (
    data === null ||
    typeof data !== 'object' ||
    typeof data.encoding !== 'string' ||
    !Array.isArray(data.segments) ||
    !data.segments.every(
      (s) =>
        (s?.type === 'inline' && typeof s.data === 'string') ||
        (s?.type === 'spooled' && typeof s.uri === 'string'),
    )
  ) {
    throw new QueryError(
      `Trino sent spooled data this client does not understand: ${JSON.stringify(value).slice(0, 300)}`,
      {
        context: { queryId },
      },
    )
  }
  if (!(ENCODINGS as readonly string[]).includes(data.encoding)) {
    throw new QueryError(
      `Trino answered with the data encoding ${data.encoding}, which this client did not ask for`,
      {
        context: { queryId, encoding: data.encoding },
      },
    )
  }
  return data as EncodedQueryData
}

/**
 * The JSON rows of a segment's bytes: decompressed when its metadata says it is compressed.
 * `where` names the segment in errors.
 *
 * @throws QueryError when the bytes are not what the metadata describes
 */
export function segmentRows(
  encoding: string,
  bytes: Buffer,
  metadata: SegmentMetadata,
  where: { queryId: string | undefined; segment: string },
): Buffer {
  const { segmentSize, uncompressedSize } = metadata
  const fail = (problem: string, cause?: unknown) =>
    new QueryError(`Segment ${where.segment} of query ${where.queryId}: ${problem}`, {
      cause,
      context: { ...where, encoding },
    })
  if (segmentSize !== undefined && Number(segmentSize) !== bytes.length)
    throw fail(`${bytes.length} bytes arrived, ${segmentSize} announced`)
  if (uncompressedSize === undefined || encoding === 'json') return bytes
  const size = Number(uncompressedSize)
  let rows: Buffer
  try {
    if (encoding === 'json+lz4') rows = lz4DecompressBlock(bytes, size)
    else {
      const out = zstdDecompress(bytes, new Uint8Array(size))
      rows = Buffer.from(out.buffer, out.byteOffset, out.byteLength)
    }
  } catch (error) {
    throw fail(`${encoding} data does not decompress: ${(error as Error).message}`, error)
  }
  if (rows.length !== size) throw fail(`decompressed to ${rows.length} bytes, ${size} announced`)
  return rows
}
