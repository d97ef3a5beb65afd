import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { userInfo } from 'node:os'
import {
  AbortedError,
  AlreadyExistsError,
  isLakeError,
  type LakeHooks,
  NotFoundError,
  resolveHooks,
  StorageError,
  ValidationError,
  withRetry,
} from '@lake/errors'
import { z } from 'zod'
import { parseOptions } from '../catalog/table-options.js'
import { readBlock } from './block-reader.js'
import { loadNativeCrc } from './crc32-native.js'
import { decodeBlockToken, type ExtendedBlock } from './data-transfer.js'
import {
  type AsyncBuffer,
  type FileIO,
  type FileStatus,
  parentLocation,
  type ReadStreamOptions,
  type WriteOptions,
} from './file-io.js'
import { type HttpResponse, httpGet } from './http-reader.js'

/** Options of {@link WebHdfsFileIO}. */
export interface WebHdfsFileIOOptions {
  /**
   * The HTTP address of each NameNode (`http://namenode:9870`). With several (HA), requests go
   * to the one that last answered as active, and fail over on `StandbyException` or when a
   * NameNode cannot be reached.
   */
  namenodes: string[]
  /** `user.name` of simple authentication. Default `HADOOP_USER_NAME`, else the OS user. */
  user?: string
  /** A delegation token (`delegation=`), sent instead of `user.name`. */
  delegationToken?: string
  /** Retries of transient faults (standby, safe mode, resets, 5xx). Default 4 retries from 100 ms. */
  retry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number }
  /**
   * Time allowed for a NameNode answer, and for a DataNode to send more of a read (a silent
   * one counts as a dropped connection, and the read resumes), in ms. Default 60 000. The
   * length of a transfer is not limited.
   */
  timeoutMs?: number
  /**
   * Read file data as Hadoop's Java client does: block locations from the NameNode
   * (`GET_BLOCK_LOCATIONS`), then each block from a DataNode's transfer port with the
   * data-transfer protocol (`READ_BLOCK`), its checksums verified here. WebHDFS's `OPEN`
   * makes the DataNode read the block with a client of its own and re-send it over HTTP, which
   * caps reads well below what the DataNode serves (docs/decisions/0002). Any failure of a
   * block read (a transfer port out of reach, a DataNode that requires SASL, a checksum
   * mismatch, a dropped connection) hands the rest of that read to `OPEN`, so data is never
   * lost to it. When the transfer port has never answered (connecting gives up after 10 s at
   * most), reads go to `OPEN` directly for the next 5 minutes, then try it again.
   * Default `true`, or `false` with a delegation token (secure clusters need SASL, which this
   * client does not speak). Writes and metadata always go through WebHDFS.
   */
  blockReads?: boolean
  /** With {@link WebHdfsFileIOOptions.blockReads}, verify the block checksums (default `true`). */
  verifyChecksums?: boolean
  /**
   * With {@link WebHdfsFileIOOptions.verifyChecksums}, compute the checksums with the CPU's own
   * CRC instructions through the optional dependency `@node-rs/crc32` when it is installed and
   * has a binary for this platform (default `true`); otherwise, or with `false`, a WebAssembly
   * loop computes them, about a third as fast (docs/decisions/0004).
   */
  nativeChecksums?: boolean
  /**
   * With {@link WebHdfsFileIOOptions.blockReads}, reach DataNodes by host name rather than by the
   * IP address the NameNode reports (Hadoop's `dfs.client.use.datanode.hostname`), for
   * clusters behind NAT. Default `false`.
   */
  useDatanodeHostname?: boolean
  /** Metrics and logs of retried attempts. */
  hooks?: Partial<LakeHooks>
}

const optionsSchema = z.object({
  namenodes: z.array(z.string().regex(/^https?:\/\/[^/]+\/?$/, 'must be http(s)://host:port')).min(1),
  user: z.string().min(1).optional(),
  delegationToken: z.string().min(1).optional(),
  retry: z
    .object({
      retries: z.number().int().min(0).optional(),
      minDelayMs: z.number().min(0).optional(),
      maxDelayMs: z.number().min(0).optional(),
    })
    .optional(),
  timeoutMs: z.number().int().positive().optional(),
  blockReads: z.boolean().optional(),
  verifyChecksums: z.boolean().optional(),
  nativeChecksums: z.boolean().optional(),
  useDatanodeHostname: z.boolean().optional(),
  hooks: z.custom<Partial<LakeHooks>>((v) => v === undefined || typeof v === 'object').optional(),
})

/** Whether a failed request may have changed the file system; see {@link WebHdfsFileIO}. */
type Replay = 'idempotent' | 'unexecuted-only'

/** The `FileStatus` object of WebHDFS's JSON. */
interface HdfsFileStatus {
  pathSuffix: string
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK'
  length: number
  modificationTime: number
}

/** One block of `GET_BLOCK_LOCATIONS`'s JSON, the fields a read uses. */
interface HdfsLocatedBlock {
  block: { blockId: number; blockPoolId: string; generationStamp: number; numBytes: number }
  blockToken?: { urlString?: string }
  isCorrupt?: boolean
  locations: { ipAddr: string; hostName: string; xferPort: number }[]
  startOffset: number
}

/** `GET_BLOCK_LOCATIONS`'s JSON, the fields a read uses. */
interface HdfsLocatedBlocks {
  fileLength: number
  isUnderConstruction: boolean
  locatedBlocks: HdfsLocatedBlock[]
}

/** How long reads skip a transfer port that has never answered. */
const BLOCK_READS_PAUSE_MS = 5 * 60_000
/** Longest wait for a DataNode's transfer port to accept a connection before reading through `OPEN`. */
const BLOCK_CONNECT_TIMEOUT_MS = 10_000

/** Blocks asked of the NameNode at once: their locations for up to this many bytes. */
const LOCATIONS_WINDOW = 1024 * 1024 * 1024

/**
 * {@link FileIO} on HDFS through the WebHDFS REST API of the NameNode, for `hdfs://` locations
 * (the authority is ignored: the NameNodes are configured). Pick it by scheme:
 *
 * @example
 * ```ts
 * const io = new ResolvingFileIO({ hdfs: () => new WebHdfsFileIO({ namenodes: ['http://127.0.0.1:9870'] }) })
 * const catalog = new HadoopCatalog({ warehouse: 'hdfs://127.0.0.1:8020/warehouse', io })
 * ```
 *
 * Reads stream each block from a DataNode's transfer port, as Java clients do (see
 * {@link WebHdfsFileIOOptions.blockReads}), or from the DataNode WebHDFS's `OPEN` redirects
 * to, ranged with `offset`/`length`; writes stream the body to the DataNode `CREATE` redirects
 * to (`CREATE` with `overwrite=false` is the atomic create-if-absent). `renameIfAbsent` is `RENAME`, which HDFS refuses onto an existing name.
 *
 * Transient faults are retried: a standby or unreachable NameNode (failing over to the next),
 * safe mode, `RetriableException`, connection resets and 5xx. A request that may have
 * changed the file system before failing (a reset `RENAME`) is not replayed: its error is
 * retryable and the caller decides, as the Hadoop catalog does by reading the version file.
 */
export class WebHdfsFileIO implements FileIO {
  readonly #namenodes: string[]
  readonly #auth: Record<string, string>
  readonly #retry: { retries?: number; minDelayMs?: number; maxDelayMs?: number }
  readonly #timeoutMs: number
  readonly #hooks: LakeHooks
  readonly #verifyChecksums: boolean
  readonly #nativeChecksums: boolean
  readonly #useDatanodeHostname: boolean
  readonly #clientName = `lake-webhdfs-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
  #active = 0
  /** Whether reads use the block-transfer protocol, and whether it ever worked here. */
  #blockReads: boolean
  #blockReadsAnswered = false
  /** Until when reads skip the transfer port: it has never answered. */
  #blockReadsPausedUntil = 0

  constructor(options: WebHdfsFileIOOptions) {
    const parsed = parseOptions(optionsSchema, options, 'WebHdfsFileIO options')
    this.#namenodes = parsed.namenodes.map((address) => address.replace(/\/+$/, ''))
    this.#auth = parsed.delegationToken
      ? { delegation: parsed.delegationToken }
      : { 'user.name': parsed.user ?? defaultUser() }
    this.#retry = parsed.retry ?? {}
    this.#timeoutMs = parsed.timeoutMs ?? 60_000
    this.#hooks = resolveHooks(options.hooks)
    this.#blockReads = parsed.blockReads ?? !parsed.delegationToken
    this.#verifyChecksums = parsed.verifyChecksums ?? true
    this.#nativeChecksums = parsed.nativeChecksums ?? true
    this.#useDatanodeHostname = parsed.useDatanodeHostname ?? false
  }

  async exists(location: string): Promise<boolean> {
    try {
      await this.stat(location)
      return true
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
  }

  async stat(location: string): Promise<FileStatus> {
    const body = (await this.#json('GET', 'GETFILESTATUS', location)) as { FileStatus: HdfsFileStatus }
    return toFileStatus(location, body.FileStatus)
  }

  async read(location: string): Promise<Uint8Array> {
    return collect(this.readStream(location, { reuseChunks: true }), 0)
  }

  async readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(location, offset, length)
    if (length === 0) return new Uint8Array(0)
    // Room for the whole range up front (it is one copy), within reason for a length past the end.
    return collect(
      this.readStream(location, { offset, length, reuseChunks: true }),
      Math.min(length, 64 * 1024 * 1024),
    )
  }

  async open(location: string): Promise<AsyncBuffer> {
    const { length: byteLength, isDirectory } = await this.stat(location)
    if (isDirectory)
      throw new StorageError(`Cannot open a directory: ${location}`, { context: { file: location } })
    return {
      byteLength,
      slice: async (start: number, end: number = byteLength) => {
        const bytes = await this.readRange(location, start, Math.max(0, Math.min(end, byteLength) - start))
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
      },
    }
  }

  /**
   * Streams the file from its DataNodes: block by block over the data-transfer protocol (see
   * {@link WebHdfsFileIOOptions.blockReads}), else, or for what is left after a failed block
   * read, through WebHDFS's `OPEN`. A connection lost mid-stream is resumed from the byte
   * reached (within the retry budget), so a long read survives a DataNode restart. Chunks of up
   * to 1 MiB are read into a small pool reused for the whole read; with `reuseChunks` they are
   * lent as they are, otherwise each is copied out for the caller to keep.
   */
  async *readStream(location: string, options: ReadStreamOptions = {}): AsyncIterable<Uint8Array> {
    let offset = options.offset ?? 0
    let remaining = options.length
    const lend = options.reuseChunks === true
    checkRange(location, offset, remaining ?? 0)
    if (remaining === 0) return
    if (this.#blockReads && Date.now() >= this.#blockReadsPausedUntil) {
      const reached = yield* this.#readBlocks(location, offset, remaining, lend)
      if (reached === 'end') return
      if (remaining !== undefined) remaining -= reached - offset
      offset = reached
      if (remaining === 0) return
    }
    let resumes = 0
    for (;;) {
      const params: Record<string, string> = { offset: String(offset) }
      if (remaining !== undefined) params.length = String(remaining)
      const response = await this.#openData(location, params)
      if (!response) return
      try {
        for await (const chunk of response.body) {
          offset += chunk.byteLength
          if (remaining !== undefined) remaining -= chunk.byteLength
          yield lend ? chunk : chunk.slice()
        }
        return
      } catch (error) {
        const mapped = transportError('OPEN', location, error)
        if (!mapped.retryable || resumes >= (this.#retry.retries ?? 4)) throw mapped
        resumes += 1
        if (remaining === 0) return
      }
    }
  }

  async write(
    location: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<void> {
    const signal = options.signal
    if (signal?.aborted) throw aborted(location)
    // Step one asks the NameNode where to write; it creates nothing, so it is safely retried.
    const response = await this.#namenode(
      'PUT',
      'CREATE',
      location,
      { overwrite: String(!!options.overwrite) },
      'idempotent',
    )
    const datanode = redirectTarget(response, 'CREATE', location)
    // Step two streams the body to the DataNode. Node's fetch cannot be used here: the
    // DataNode answers `100 Continue` unasked, which undici refuses (docs/decisions/0002).
    try {
      await putStream(datanode, data, location, signal)
    } catch (error) {
      if (signal?.aborted || (!isLakeError(error) && !isTransportFault(error))) {
        // Aborted, or the caller's stream failed: the partial file is ours and goes.
        await this.delete(location).catch(() => {})
        if (signal?.aborted) throw aborted(location)
        throw error
      }
      throw isLakeError(error) ? error : transportError('CREATE', location, error)
    }
  }

  async renameIfAbsent(from: string, to: string): Promise<boolean> {
    const destination = hdfsPath(to)
    await this.mkdirs(parentLocation(to))
    let renamed: boolean
    try {
      const body = await this.#json('PUT', 'RENAME', from, { destination }, 'unexecuted-only')
      renamed = (body as { boolean: boolean }).boolean
    } catch (error) {
      if (error instanceof AlreadyExistsError) return false
      throw error
    }
    if (renamed) return true
    // HDFS answers `false` without saying why: the target exists (a lost race), or the source does not.
    if (await this.exists(to)) return false
    if (!(await this.exists(from)))
      throw new NotFoundError(`No such file: ${from}`, { context: { file: from } })
    throw new StorageError(`HDFS refused to rename ${from} to ${to}`, {
      context: { file: from, operation: 'rename' },
    })
  }

  async delete(location: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.#json('DELETE', 'DELETE', location, { recursive: String(options.recursive ?? false) })
  }

  /** Pages through `LISTSTATUS_BATCH`, so a directory of any size is listed in bounded memory. */
  async *list(location: string): AsyncIterable<FileStatus> {
    const prefix = location.replace(/\/+$/, '')
    let startAfter: string | undefined
    for (;;) {
      const params: Record<string, string> = startAfter === undefined ? {} : { startAfter }
      const body = (await this.#json('GET', 'LISTSTATUS_BATCH', location, params)) as {
        DirectoryListing: {
          partialListing: { FileStatuses: { FileStatus: HdfsFileStatus[] } }
          remainingEntries: number
        }
      }
      const listing = body.DirectoryListing
      const statuses = listing.partialListing.FileStatuses.FileStatus
      for (const status of statuses) {
        // HDFS lists a file as itself, with an empty suffix; a file has no children.
        if (status.pathSuffix === '') {
          throw new NotFoundError(`Not a directory: ${location}`, { context: { file: location } })
        }
        yield toFileStatus(`${prefix}/${status.pathSuffix}`, status)
      }
      if (listing.remainingEntries <= 0 || statuses.length === 0) return
      startAfter = statuses[statuses.length - 1]!.pathSuffix
    }
  }

  async mkdirs(location: string): Promise<void> {
    const body = (await this.#json('PUT', 'MKDIRS', location)) as { boolean: boolean }
    if (!body.boolean) {
      throw new StorageError(`HDFS refused to create the directory ${location}`, {
        context: { file: location, operation: 'mkdirs' },
      })
    }
  }

  // -------------------------------------------------------------------------- block reads

  /**
   * Reads `[offset, offset + length)` (to the end without a length) block by block from the
   * DataNodes' transfer ports. Returns `'end'` when all of it was read, or the offset reached
   * when the rest must go through `OPEN`: a block read failed, or the file is one this reader
   * leaves to WebHDFS (being written, erasure-coded, a block without a live replica).
   */
  async *#readBlocks(
    location: string,
    offset: number,
    length: number | undefined,
    lend: boolean,
  ): AsyncGenerator<Uint8Array, number | 'end'> {
    let position = offset
    const end = length === undefined ? Number.POSITIVE_INFINITY : offset + length
    const nativeCrc = this.#verifyChecksums && this.#nativeChecksums ? await loadNativeCrc() : undefined
    while (position < end) {
      const window = Math.min(end - position, LOCATIONS_WINDOW)
      let blocks: HdfsLocatedBlocks | null | undefined
      try {
        const body = (await this.#json('GET', 'GET_BLOCK_LOCATIONS', location, {
          offset: String(position),
          length: String(window),
        })) as { LocatedBlocks?: HdfsLocatedBlocks | null }
        blocks = body.LocatedBlocks
      } catch (error) {
        // A missing file, or a NameNode out of reach, fails as `OPEN` would have.
        if (error instanceof NotFoundError || (isLakeError(error) && error.retryable)) throw error
        // A WebHDFS server without the operation (HttpFS) says so with a 400.
        const unsupported =
          isLakeError(error) &&
          /IllegalArgument|UnsupportedOperation/.test(String(error.context.remoteException))
        if (unsupported) this.#blockReads = false
        this.#hooks.log({
          level: 'warn',
          event: 'webhdfs.block_read.fallback',
          message: `GET_BLOCK_LOCATIONS failed for ${location} (${(error as Error).message}); it is read through WebHDFS OPEN${unsupported ? ', and so are later reads' : ''}`,
          fields: { file: location },
        })
        return position
      }
      if (!blocks || blocks.isUnderConstruction) return position
      const stop = Math.min(end, blocks.fileLength)
      if (position >= stop) return 'end'
      const windowEnd = Math.min(stop, position + window)
      const before = position
      for (const located of blocks.locatedBlocks) {
        const blockEnd = located.startOffset + located.block.numBytes
        if (blockEnd <= position) continue
        if (position >= windowEnd) break
        const block = toExtendedBlock(located)
        const datanode = located.locations[0]
        if (!block || !datanode || located.isCorrupt || located.startOffset > position) return position
        const token = located.blockToken?.urlString
          ? decodeBlockToken(located.blockToken.urlString)
          : undefined
        const host = this.#useDatanodeHostname ? datanode.hostName : datanode.ipAddr
        const chunks = readBlock({
          host,
          port: datanode.xferPort,
          block,
          ...(token ? { token } : {}),
          offset: position - located.startOffset,
          length: Math.min(blockEnd, windowEnd) - position,
          clientName: this.#clientName,
          verifyChecksums: this.#verifyChecksums,
          ...(nativeCrc ? { nativeCrc } : {}),
          idleTimeoutMs: this.#timeoutMs,
          connectTimeoutMs: Math.min(this.#timeoutMs, BLOCK_CONNECT_TIMEOUT_MS),
        })
        try {
          for await (const chunk of chunks) {
            this.#blockReadsAnswered = true
            position += chunk.byteLength
            yield lend ? chunk : chunk.slice()
          }
        } catch (error) {
          this.#onBlockReadFailure(location, `${host}:${datanode.xferPort}`, block, error)
          return position
        }
      }
      // Locations that cover none of what is left are not asked for again: `OPEN` reads it.
      if (position === before) return position
      // A complete file's length is final: reaching it needs no more block locations.
      if (position >= stop) return 'end'
    }
    return 'end'
  }

  /** Logs a failed block read; a transfer port that never answered pauses block reads for 5 minutes. */
  #onBlockReadFailure(location: string, datanode: string, block: ExtendedBlock, error: unknown): void {
    const code = (error as { code?: unknown }).code
    const unreachable =
      code === 'ECONNREFUSED' ||
      code === 'EHOSTUNREACH' ||
      code === 'ENETUNREACH' ||
      code === 'ETIMEDOUT' ||
      code === 'ECONNRESET'
    const paused = unreachable && !this.#blockReadsAnswered
    if (paused) this.#blockReadsPausedUntil = Date.now() + BLOCK_READS_PAUSE_MS
    this.#hooks.counter('webhdfs.block_read.fallbacks', 1, { code: String(code ?? 'unknown') })
    this.#hooks.log({
      level: 'warn',
      event: 'webhdfs.block_read.fallback',
      message: `Reading block ${block.blockId} from DataNode ${datanode} failed (${(error as Error).message}); the rest of ${location} is read through WebHDFS OPEN${paused ? ', and so are reads of the next 5 minutes: the transfer port has never answered' : ''}`,
      fields: { file: location, datanode, blockId: block.blockId, code },
    })
  }

  // -------------------------------------------------------------------------------- requests

  async #json(
    method: string,
    op: string,
    location: string,
    params: Record<string, string> = {},
    replay: Replay = 'idempotent',
  ): Promise<unknown> {
    const response = await this.#namenode(method, op, location, params, replay)
    try {
      return await response.json()
    } catch (error) {
      throw transportError(op, location, error)
    }
  }

  /**
   * The DataNode's answer to `OPEN`, or `undefined` when the range starts at or past the end.
   * Read with Lake's own HTTP reader (`http-reader.ts`) rather than `node:http` or `fetch`:
   * it reuses one socket buffer where `node:http` allocates 64 KiB per socket read, which a
   * long-running process pays for in full collections (docs/benchmarks.md, hdfs).
   */
  async #openData(location: string, params: Record<string, string>): Promise<HttpResponse | undefined> {
    return withRetry(
      async () => {
        let redirect: Response
        try {
          redirect = await this.#namenodeOnce('GET', 'OPEN', location, params)
        } catch (error) {
          if (isPastEnd(error)) return undefined
          throw error
        }
        const target = redirectTarget(redirect, 'OPEN', location)
        let response: HttpResponse
        try {
          response = await httpGet(target, { idleTimeoutMs: this.#timeoutMs })
        } catch (error) {
          throw transportError('OPEN', location, error)
        }
        if (response.status === 200) return response
        const body = await response.text().catch(() => '')
        const error = dataNodeError(response.status, body, 'OPEN', location)
        if (isPastEnd(error)) return undefined
        throw error
      },
      this.#policy('webhdfs.open', 'idempotent'),
    )
  }

  /** One WebHDFS operation on the active NameNode, retried and failed over as `replay` allows. */
  #namenode(
    method: string,
    op: string,
    location: string,
    params: Record<string, string>,
    replay: Replay = 'idempotent',
  ): Promise<Response> {
    return withRetry(
      () => this.#namenodeOnce(method, op, location, params),
      this.#policy(`webhdfs.${op.toLowerCase()}`, replay),
    )
  }

  async #namenodeOnce(
    method: string,
    op: string,
    location: string,
    params: Record<string, string>,
  ): Promise<Response> {
    const index = this.#active
    const url = new URL(`${this.#namenodes[index]}/webhdfs/v1${encodePath(hdfsPath(location))}`)
    url.search = new URLSearchParams({ op, ...this.#auth, ...params }).toString()
    let response: Response
    try {
      response = await fetch(url, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (error) {
      const mapped = transportError(op, location, error)
      this.#failOver(index)
      throw mapped
    }
    if (response.ok || response.status === 307) return response
    const error = await remoteError(response, op, location)
    if (error.context.remoteException === 'StandbyException') this.#failOver(index)
    throw error
  }

  /** Moves to the next NameNode, unless another request already has. */
  #failOver(from: number): void {
    if (this.#active === from) this.#active = (from + 1) % this.#namenodes.length
  }

  #policy(operation: string, replay: Replay) {
    return {
      retries: this.#retry.retries ?? 4,
      minDelayMs: this.#retry.minDelayMs ?? 100,
      maxDelayMs: this.#retry.maxDelayMs ?? 5_000,
      hooks: this.#hooks,
      operation,
      shouldRetry: (error: unknown) =>
        isLakeError(error) &&
        error.retryable &&
        (replay === 'idempotent' || error.context.executed === false),
    }
  }
}

// ---------------------------------------------------------------------------------- helpers

/**
 * The block of a located block, or `undefined` for one this reader leaves to WebHDFS: a
 * striped (erasure-coded) block group has a negative id, and ids or stamps past 2^53 would not
 * survive JSON numbers.
 */
function toExtendedBlock(located: HdfsLocatedBlock): ExtendedBlock | undefined {
  const { blockId, blockPoolId, generationStamp, numBytes } = located.block
  const exact = [blockId, generationStamp, numBytes].every((n) => Number.isSafeInteger(n) && n >= 0)
  if (!exact || typeof blockPoolId !== 'string') return undefined
  return { poolId: blockPoolId, blockId, generationStamp, numBytes }
}

/** The path of an `hdfs://authority/path` (or `hdfs:/path`) location, taken literally. */
export function hdfsPath(location: string): string {
  const match = /^hdfs:(?:\/\/[^/]*)?(\/.*)?$/is.exec(location)
  if (!match) {
    throw new ValidationError(`Not an HDFS location: ${location}`, { context: { file: location } })
  }
  return match[1]?.replace(/(?<=.)\/+$/, '') || '/'
}

/** Each segment percent-encoded, so a name like `k=a+b%2Fc` reaches HDFS as written. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

function toFileStatus(location: string, status: HdfsFileStatus): FileStatus {
  const isDirectory = status.type === 'DIRECTORY'
  return {
    location,
    length: isDirectory ? 0 : status.length,
    isDirectory,
    modifiedMs: status.modificationTime,
  }
}

function redirectTarget(response: Response, op: string, location: string): string {
  const target = response.headers.get('location')
  void response.body?.cancel()
  if (response.status !== 307 || !target) {
    throw new StorageError(`WebHDFS ${op} of ${location} answered ${response.status} without a redirect`, {
      context: { file: location, operation: op, status: response.status },
    })
  }
  return target
}

/** Exceptions after which the NameNode did nothing and asks to be asked again (or another). */
const UNEXECUTED = new Set([
  'StandbyException',
  'RetriableException',
  'SafeModeException',
  'ObserverRetryOnActiveException',
])

/**
 * Network faults a daemon met on its way to another: a DataNode whose NameNode went away
 * answers a `CREATE` with `EOFException` or `ConnectException` (as 403, like any IOException).
 * Hadoop's own clients retry these; whether the NameNode executed the call is unknown.
 */
const NETWORK = new Set([
  'EOFException',
  'ConnectException',
  'ConnectTimeoutException',
  'NoRouteToHostException',
  'SocketException',
  'SocketTimeoutException',
])

/**
 * Plain IOExceptions that say the NameNode knows no live DataNode for a block or a new file:
 * after a restart until the DataNodes report, or while the only holder of a block is down.
 * Hadoop's client waits and asks again (`dfs.client.max.block.acquire.failures`).
 */
const NO_DATANODE_YET =
  /No active nodes contain this block|Failed to find datanode|could only be (?:written|replicated) to 0 of the/

/** A LakeError for a WebHDFS error answer, from its `RemoteException` JSON. */
async function remoteError(
  response: Response,
  op: string,
  location: string,
): Promise<StorageError | NotFoundError | AlreadyExistsError> {
  const text = await response.text().catch(() => '')
  let remote: { exception?: string; javaClassName?: string; message?: string } = {}
  try {
    remote = (JSON.parse(text) as { RemoteException?: typeof remote }).RemoteException ?? {}
  } catch {
    // Not JSON (a proxy's error page): the status decides.
  }
  return mapRemoteException(response.status, remote, op, location, text)
}

/**
 * Maps a WebHDFS error to a LakeError. HDFS answers most `IOException`s with 403, so the
 * exception's name decides, not the status: standby, safe mode, `RetriableException`, network
 * faults between daemons and no live DataNode (yet) are transient; permissions and not-found
 * are not; any other 5xx is taken as transient.
 */
export function mapRemoteException(
  status: number,
  remote: { exception?: string; javaClassName?: string; message?: string },
  op: string,
  location: string,
  text = '',
): StorageError | NotFoundError | AlreadyExistsError {
  const exception = remote.exception ?? ''
  const message = (remote.message ?? text.slice(0, 200)).split('\n')[0]
  const context = {
    file: location,
    operation: op,
    status,
    remoteException: exception || undefined,
    javaClassName: remote.javaClassName,
    executed: UNEXECUTED.has(exception) ? false : undefined,
  }
  const summary = `WebHDFS ${op} of ${location} failed: ${exception ? `${exception}: ` : ''}${message || `HTTP ${status}`}`
  if (exception === 'FileNotFoundException' || (status === 404 && !exception)) {
    return new NotFoundError(`No such file: ${location}`, { context })
  }
  // Another client holds the lease of a file it is creating: for create-if-absent, it exists.
  if (exception === 'FileAlreadyExistsException' || exception === 'AlreadyBeingCreatedException') {
    return new AlreadyExistsError(`File already exists: ${location}`, { context })
  }
  const retryable =
    UNEXECUTED.has(exception) ||
    NETWORK.has(exception) ||
    (exception === 'IOException' && NO_DATANODE_YET.test(message ?? '')) ||
    (status >= 500 && !/AccessControl|Authorization|Security/.test(exception))
  return new StorageError(summary, { retryable, context })
}

const TRANSPORT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

function isTransportFault(error: unknown): boolean {
  for (
    let e = error as { code?: string; cause?: unknown; name?: string } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (typeof e.code === 'string' && TRANSPORT_CODES.has(e.code)) return true
    if (e.name === 'TimeoutError') return true
    if (typeof e !== 'object') break
  }
  return error instanceof TypeError && error.message === 'fetch failed'
}

/**
 * A network failure as a retryable StorageError. A refused connection never reached the
 * server, so even a non-idempotent request may be replayed (`executed: false`).
 */
function transportError(op: string, location: string, error: unknown): StorageError {
  if (isLakeError(error)) return error as StorageError
  let code: string | undefined
  for (
    let e = error as { code?: string; cause?: unknown } | undefined;
    e && typeof e === 'object';
    e = e.cause as typeof e
  ) {
    if (typeof e.code === 'string') code ??= e.code
  }
  const detail = error instanceof Error ? `${error.message}${code ? ` (${code})` : ''}` : String(error)
  return new StorageError(`WebHDFS ${op} of ${location} failed: ${detail}`, {
    cause: error,
    retryable: isTransportFault(error) || error instanceof SyntaxError,
    context: { file: location, operation: op, executed: code === 'ECONNREFUSED' ? false : undefined },
  })
}

function isPastEnd(error: unknown): boolean {
  return error instanceof StorageError && /out of the range/.test(error.message)
}

/**
 * PUTs a body to the DataNode with node:http, streaming it with backpressure. Resolves on
 * `201 Created`; an error answer (which can come before the body is sent) wins over the
 * broken pipe it causes.
 */
async function putStream(
  url: string,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  location: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, {
    method: 'PUT',
    headers: {
      'content-type': 'application/octet-stream',
      ...(data instanceof Uint8Array ? { 'content-length': String(data.byteLength) } : {}),
    },
    ...(signal ? { signal } : {}),
  })
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.on('response', resolve)
    request.on('error', reject)
  })
  answered.catch(() => {})
  let sendError: unknown
  try {
    if (data instanceof Uint8Array) {
      request.end(data)
    } else {
      for await (const chunk of data) {
        if (signal?.aborted) throw aborted(location)
        if (request.destroyed) break
        if (!request.write(chunk)) await drained(request)
      }
      request.end()
    }
  } catch (error) {
    sendError = error
    request.destroy()
  }
  if (sendError !== undefined && !(await settledWithin(answered, 50))) throw sendError
  const response = await answered.catch((error) => {
    throw sendError ?? error
  })
  if (response.statusCode === 201 || response.statusCode === 200) {
    response.resume()
    if (sendError !== undefined) throw sendError
    return
  }
  const body = await readText(response).catch(() => '')
  throw dataNodeError(response.statusCode ?? 0, body, 'CREATE', location)
}

/** A LakeError for a DataNode's error answer, from its `RemoteException` JSON. */
function dataNodeError(
  status: number,
  body: string,
  op: string,
  location: string,
): StorageError | NotFoundError | AlreadyExistsError {
  let remote = {}
  try {
    remote = (JSON.parse(body) as { RemoteException?: object }).RemoteException ?? {}
  } catch {
    // Not JSON: the status decides.
  }
  return mapRemoteException(status, remote, op, location, body)
}

function drained(request: ReturnType<typeof httpRequest>): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      request.off('drain', done)
      request.off('close', done)
      request.off('error', fail)
      resolve()
    }
    const fail = (error: unknown) => {
      request.off('drain', done)
      request.off('close', done)
      reject(error)
    }
    request.on('drain', done)
    request.on('close', done)
    request.once('error', fail)
  })
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  const settled = promise.then(
    () => true,
    () => true,
  )
  const result = await Promise.race([settled, timeout])
  clearTimeout(timer)
  return result
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The chunks as one array of its own (a stream's chunks are only lent, see
 * {@link FileIO.readStream}). `capacity` is the size expected (a range's length), else 0: the
 * array then grows by doubling, and is trimmed when much of it is left unused.
 */
async function collect(stream: AsyncIterable<Uint8Array>, capacity: number): Promise<Uint8Array> {
  let out = new Uint8Array(capacity)
  let size = 0
  for await (const chunk of stream) {
    if (size + chunk.byteLength > out.byteLength) {
      const grown = new Uint8Array(Math.max(size + chunk.byteLength, out.byteLength * 2, 64 * 1024))
      grown.set(out.subarray(0, size))
      out = grown
    }
    out.set(chunk, size)
    size += chunk.byteLength
  }
  if (size === out.byteLength) return out
  return size < out.byteLength / 2 ? out.slice(0, size) : out.subarray(0, size)
}

function checkRange(location: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new ValidationError(`Invalid range offset=${offset} length=${length} for ${location}`, {
      context: { file: location },
    })
  }
}

function aborted(location: string): AbortedError {
  return new AbortedError(`Write of ${location} was aborted`, { context: { file: location } })
}

function defaultUser(): string {
  if (process.env.HADOOP_USER_NAME) return process.env.HADOOP_USER_NAME
  try {
    return userInfo().username
  } catch {
    return 'lake'
  }
}
