/**
 * The storage seam of Lake. Every backend (local disk, HDFS through WebHDFS, …) implements
 * {@link FileIO}; calling code never branches on the scheme. Locations are URIs
 * (`file:/warehouse/db/t/...`, `hdfs://namenode:8020/warehouse/...`); a local backend also
 * accepts plain absolute paths.
 *
 * @module
 */

/** What a backend knows about one file or directory. */
export interface FileStatus {
  /** The location as the backend names it (same scheme as asked). */
  location: string
  /** Length in bytes; 0 for directories. */
  length: number
  isDirectory: boolean
  /** Last modification, ms since the epoch. */
  modifiedMs: number
}

/**
 * A random-access view of a file: hyparquet's `AsyncBuffer`, so Parquet readers take it
 * directly. `slice(start, end)` reads `[start, end)`; `end` defaults to the file's end.
 */
export interface AsyncBuffer {
  byteLength: number
  slice(start: number, end?: number): Promise<ArrayBuffer> | ArrayBuffer
}

/** Options of {@link FileIO.write}. */
export interface WriteOptions {
  /**
   * `false` (the default) creates the file only if nothing exists at the location and fails
   * with `AlreadyExistsError` otherwise; `true` replaces what is there.
   */
  overwrite?: boolean
  /** Stops the write; a partly written file is removed. */
  signal?: AbortSignal
}

/** Options of {@link FileIO.readStream}. */
export interface ReadStreamOptions {
  /** The first byte to read; 0 by default. */
  offset?: number
  /** How many bytes to read (fewer only at the end of the file); to the end by default. */
  length?: number
  /**
   * `true` lends each chunk only until the next one is asked for: the backend may then reuse
   * its memory (the WebHDFS one does, sparing the garbage collector the allocation of every
   * byte read), so the caller must copy what it keeps. For consumers that hash, count, parse or
   * forward each chunk as it comes. By default every chunk is the caller's to keep.
   */
  reuseChunks?: boolean
}

/** Storage operations Lake needs, no more. */
export interface FileIO {
  /** Whether a file or directory exists at the location. */
  exists(location: string): Promise<boolean>
  /** Status of the file or directory; `NotFoundError` when absent. */
  stat(location: string): Promise<FileStatus>
  /** The whole file. Meant for small files (metadata, manifests); use {@link FileIO.open} for data. */
  read(location: string): Promise<Uint8Array>
  /** `length` bytes from `offset` (fewer only at the end of the file). */
  readRange(location: string, offset: number, length: number): Promise<Uint8Array>
  /** A random-access view that reads ranges on demand. */
  open(location: string): Promise<AsyncBuffer>
  /**
   * Streams the file (or a range of it) in chunks without buffering it whole. Each chunk is the
   * caller's to keep, unless `reuseChunks` lends them (see {@link ReadStreamOptions}).
   */
  readStream(location: string, options?: ReadStreamOptions): AsyncIterable<Uint8Array>
  /**
   * Writes a file from bytes or a stream of chunks. Parent directories are created.
   * Without `overwrite` this is create-if-absent: atomic, so two writers never both win.
   */
  write(location: string, data: Uint8Array | AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<void>
  /**
   * Renames `from` to `to` only if nothing exists at `to`, atomically. Resolves `false` when
   * `to` exists (the caller lost a race), `true` when renamed. The commit of a Hadoop-catalog
   * table is exactly this operation on `vN.metadata.json`.
   */
  renameIfAbsent(from: string, to: string): Promise<boolean>
  /** Deletes a file, or a directory with `recursive`. Deleting what does not exist is not an error. */
  delete(location: string, options?: { recursive?: boolean }): Promise<void>
  /** The direct children of a directory; `NotFoundError` when the directory does not exist. */
  list(location: string): AsyncIterable<FileStatus>
  /** Creates a directory and its parents; succeeds when it exists. */
  mkdirs(location: string): Promise<void>
}

/** Joins a location and path segments with single slashes. */
export function joinLocation(base: string, ...segments: string[]): string {
  let out = base.replace(/\/+$/, '')
  for (const segment of segments) out += `/${segment.replace(/^\/+/, '')}`
  return out
}

/** The last path segment of a location. */
export function baseName(location: string): string {
  const trimmed = location.replace(/\/+$/, '')
  return trimmed.slice(trimmed.lastIndexOf('/') + 1)
}

/** The location of the parent directory. */
export function parentLocation(location: string): string {
  const trimmed = location.replace(/\/+$/, '')
  return trimmed.slice(0, trimmed.lastIndexOf('/'))
}
