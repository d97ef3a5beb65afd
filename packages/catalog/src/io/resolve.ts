import { ValidationError } from '@lake/errors'
import type { AsyncBuffer, FileIO, FileStatus, ReadStreamOptions, WriteOptions } from './file-io.js'
import { LocalFileIO } from './local.js'

/** Makes the backend for one URI scheme. */
export type FileIOFactory = () => FileIO

/**
 * A {@link FileIO} that picks its backend from each location's URI scheme (pyiceberg's
 * `SCHEMA_TO_FILE_IO`), so a table's metadata, manifests and data may live under different
 * schemes and calling code never switches on them. A plain absolute path is a local file.
 *
 * @example
 * ```ts
 * const io = new ResolvingFileIO({ hdfs: () => new WebHdfsFileIO({ namenodes: ['http://127.0.0.1:9870'] }) })
 * await io.read('file:/tmp/warehouse/db/t/metadata/v1.metadata.json')
 * ```
 */
export class ResolvingFileIO implements FileIO {
  readonly #factories: Record<string, FileIOFactory>
  readonly #backends = new Map<string, FileIO>()

  constructor(factories: Record<string, FileIOFactory> = {}) {
    this.#factories = { file: () => new LocalFileIO(), ...factories }
  }

  /** The backend serving a location. */
  backendFor(location: string): FileIO {
    const scheme = schemeOf(location)
    let backend = this.#backends.get(scheme)
    if (!backend) {
      const factory = this.#factories[scheme]
      if (!factory) {
        throw new ValidationError(`No FileIO for scheme '${scheme}' (location ${location})`, {
          context: { file: location },
        })
      }
      backend = factory()
      this.#backends.set(scheme, backend)
    }
    return backend
  }

  exists(location: string): Promise<boolean> {
    return this.backendFor(location).exists(location)
  }
  stat(location: string): Promise<FileStatus> {
    return this.backendFor(location).stat(location)
  }
  read(location: string): Promise<Uint8Array> {
    return this.backendFor(location).read(location)
  }
  readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    return this.backendFor(location).readRange(location, offset, length)
  }
  open(location: string): Promise<AsyncBuffer> {
    return this.backendFor(location).open(location)
  }
  readStream(location: string, options?: ReadStreamOptions): AsyncIterable<Uint8Array> {
    return this.backendFor(location).readStream(location, options)
  }
  write(
    location: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options?: WriteOptions,
  ): Promise<void> {
    return this.backendFor(location).write(location, data, options)
  }
  renameIfAbsent(from: string, to: string): Promise<boolean> {
    if (schemeOf(from) !== schemeOf(to)) {
      throw new ValidationError(`Cannot rename across schemes: ${from} → ${to}`, { context: { file: from } })
    }
    return this.backendFor(from).renameIfAbsent(from, to)
  }
  delete(location: string, options?: { recursive?: boolean }): Promise<void> {
    return this.backendFor(location).delete(location, options)
  }
  list(location: string): AsyncIterable<FileStatus> {
    return this.backendFor(location).list(location)
  }
  mkdirs(location: string): Promise<void> {
    return this.backendFor(location).mkdirs(location)
  }
}

/** The URI scheme of a location, `file` for an absolute path. */
export function schemeOf(location: string): string {
  if (location.startsWith('/')) return 'file'
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(location)
  if (!match)
    throw new ValidationError(`Location is neither a URI nor an absolute path: ${location}`, {
      context: { file: location },
    })
  return match[1]!.toLowerCase()
}
