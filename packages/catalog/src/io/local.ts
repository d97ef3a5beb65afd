import { constants, createReadStream } from 'node:fs'
import { link, lstat, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import {
  AbortedError,
  AlreadyExistsError,
  isLakeError,
  NotFoundError,
  StorageError,
  ValidationError,
} from '@lake/errors'
import type { AsyncBuffer, FileIO, FileStatus, ReadStreamOptions, WriteOptions } from './file-io.js'

/**
 * {@link FileIO} on the local file system. Locations are `file:` URIs (`file:/a/b`,
 * `file:///a/b`) or absolute paths.
 *
 * Atomicity: create-if-absent opens with `O_CREAT | O_EXCL` on a temporary name and links it
 * into place; rename-if-absent is `link(2)` (which fails on an existing name) followed by
 * unlinking the source — never check-then-rename, so two writers racing for the same
 * `vN.metadata.json` cannot both win.
 */
export class LocalFileIO implements FileIO {
  async exists(location: string): Promise<boolean> {
    try {
      await lstat(toPath(location))
      return true
    } catch (error) {
      if (isNotFound(error)) return false
      throw storageError('stat', location, error)
    }
  }

  async stat(location: string): Promise<FileStatus> {
    try {
      const s = await stat(toPath(location))
      return {
        location,
        length: s.isDirectory() ? 0 : s.size,
        isDirectory: s.isDirectory(),
        modifiedMs: s.mtimeMs,
      }
    } catch (error) {
      throw storageError('stat', location, error)
    }
  }

  async read(location: string): Promise<Uint8Array> {
    const handle = await openForRead(location)
    try {
      const { size } = await handle.stat()
      const buffer = new Uint8Array(size)
      let filled = 0
      while (filled < size) {
        const { bytesRead } = await handle.read(buffer, filled, size - filled, filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      return filled === size ? buffer : buffer.subarray(0, filled)
    } catch (error) {
      throw storageError('read', location, error)
    } finally {
      await handle.close()
    }
  }

  async readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(location, offset, length)
    const handle = await openForRead(location)
    try {
      return await readAt(handle, location, offset, length)
    } finally {
      await handle.close()
    }
  }

  async open(location: string): Promise<AsyncBuffer> {
    const handle = await openForRead(location)
    let byteLength: number
    try {
      byteLength = (await handle.stat()).size
    } catch (error) {
      await handle.close()
      throw storageError('stat', location, error)
    }
    // Each slice opens its own descriptor: an AsyncBuffer has no close(), and a descriptor
    // held until garbage collection would leak under a long scan.
    await handle.close()
    return {
      byteLength,
      slice: async (start: number, end: number = byteLength) => {
        const bytes = await this.readRange(location, start, Math.max(0, end - start))
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
      },
    }
  }

  /** Chunks are always the caller's to keep (`reuseChunks` changes nothing here). */
  async *readStream(location: string, range: ReadStreamOptions = {}): AsyncIterable<Uint8Array> {
    const start = range.offset ?? 0
    const options: { start: number; end?: number; highWaterMark: number } = { start, highWaterMark: 1 << 20 }
    if (range.length !== undefined) {
      if (range.length === 0) return
      options.end = start + range.length - 1
    }
    const stream = createReadStream(toPath(location), options)
    try {
      for await (const chunk of stream) yield chunk as Uint8Array
    } catch (error) {
      throw storageError('read', location, error)
    }
  }

  async write(
    location: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<void> {
    const path = toPath(location)
    const signal = options.signal
    if (signal?.aborted)
      throw new AbortedError(`Write of ${location} was aborted`, { context: { file: location } })
    await this.mkdirs(dirname(path))
    // Write beside the target and move it into place, so no reader sees a partial file.
    const temp = join(dirname(path), `.${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.tmp`)
    try {
      await writeFile(temp, data instanceof Uint8Array ? data : chunks(data, signal), { flag: 'wx', signal })
    } catch (error) {
      await rm(temp, { force: true })
      if (signal?.aborted)
        throw new AbortedError(`Write of ${location} was aborted`, { context: { file: location } })
      throw storageError('write', location, error)
    }
    try {
      if (options.overwrite) {
        await rename(temp, path)
      } else if (!(await linkIfAbsent(temp, path))) {
        throw new AlreadyExistsError(`File already exists: ${location}`, { context: { file: location } })
      }
    } finally {
      await rm(temp, { force: true })
    }
  }

  async renameIfAbsent(from: string, to: string): Promise<boolean> {
    const source = toPath(from)
    const target = toPath(to)
    await this.mkdirs(dirname(target))
    if (!(await linkIfAbsent(source, target))) return false
    try {
      await unlink(source)
    } catch (error) {
      throw storageError('rename', from, error)
    }
    return true
  }

  async delete(location: string, options: { recursive?: boolean } = {}): Promise<void> {
    try {
      await rm(toPath(location), { force: true, recursive: options.recursive ?? false })
    } catch (error) {
      throw storageError('delete', location, error)
    }
  }

  async *list(location: string): AsyncIterable<FileStatus> {
    const dir = toPath(location)
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      throw storageError('list', location, error)
    }
    names.sort()
    const prefix = location.replace(/\/+$/, '')
    for (const name of names) {
      try {
        const s = await stat(join(dir, name))
        yield {
          location: `${prefix}/${name}`,
          length: s.isDirectory() ? 0 : s.size,
          isDirectory: s.isDirectory(),
          modifiedMs: s.mtimeMs,
        }
      } catch (error) {
        if (!isNotFound(error)) throw storageError('stat', `${prefix}/${name}`, error)
      }
    }
  }

  async mkdirs(location: string): Promise<void> {
    try {
      await mkdir(toPath(location), { recursive: true })
    } catch (error) {
      throw storageError('mkdir', location, error)
    }
  }
}

/**
 * Converts a `file:` location or an absolute path to a path. `file:/a` (Hadoop's form),
 * `file:///a` and `file://localhost/a` are the same path. The path is taken literally, never
 * percent-decoded, as Hadoop's `Path` and PyArrow take it: Iceberg records `data/k=a+b%2Fc/…`
 * for the directory named `k=a+b%2Fc`, and decoding would name another file (or none).
 */
export function toPath(location: string): string {
  const match = /^file:(?:\/\/(?:localhost)?(?=\/)|(?!\/\/))(\/.*)$/s.exec(location)
  if (match) return match[1]!
  if (location.startsWith('/')) return location
  throw new ValidationError(`Not a local location: ${location}`, { context: { file: location } })
}

/** The `file:` location of an absolute path, in Hadoop's short form (`file:/a/b`), not escaped. */
export function toFileUri(path: string): string {
  return `file:${resolve(path)}`
}

async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw storageError('rename', to, error)
  }
}

async function openForRead(location: string) {
  try {
    return await open(toPath(location), constants.O_RDONLY)
  } catch (error) {
    throw storageError('open', location, error)
  }
}

async function readAt(
  handle: Awaited<ReturnType<typeof open>>,
  location: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const buffer = new Uint8Array(length)
  let filled = 0
  try {
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
  } catch (error) {
    throw storageError('read', location, error)
  }
  return filled === length ? buffer : buffer.subarray(0, filled)
}

async function* chunks(data: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  for await (const chunk of data) {
    if (signal?.aborted) throw new AbortedError()
    yield chunk
  }
}

function checkRange(location: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new ValidationError(`Invalid range offset=${offset} length=${length} for ${location}`, {
      context: { file: location },
    })
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function storageError(operation: string, location: string, error: unknown): Error {
  if (isLakeError(error)) return error
  if (error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return new NotFoundError(`No such file: ${location}`, { cause: error, context: { file: location } })
    }
    // EAGAIN/EBUSY/EMFILE are transient on a local disk; everything else (EACCES, ENOSPC…) is not.
    const retryable = code === 'EAGAIN' || code === 'EBUSY' || code === 'EMFILE' || code === 'ENFILE'
    return new StorageError(`Cannot ${operation} ${location}: ${error.message}`, {
      cause: error,
      retryable,
      context: { file: location, operation },
    })
  }
  return new StorageError(`Cannot ${operation} ${location}: ${String(error)}`, {
    cause: error,
    context: { file: location, operation },
  })
}
