import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Catalog } from '../catalog/catalog.js'
import { createRestCatalogHandler, type RestCatalogOptions } from './handler.js'

/** Options of {@link serveRestCatalog}. */
export interface ServeRestCatalogOptions extends RestCatalogOptions {
  /** The catalog to serve. */
  catalog: Catalog
  /** The address to listen on. Default `127.0.0.1`: nothing is exposed unless asked. */
  host?: string
  /** The port; 0 picks a free one. Default 8181, the Iceberg REST catalog's usual port. */
  port?: number
}

/** A running REST catalog endpoint. */
export interface RestCatalogServer {
  /** The base URL clients are given as their catalog `uri`, e.g. `http://127.0.0.1:8181`. */
  readonly url: string
  /** The underlying Node server. */
  readonly server: Server
  /** Stops listening and closes open connections. */
  close(): Promise<void>
}

/**
 * Serves a catalog as an Iceberg REST catalog on its own HTTP server; see
 * {@link createRestCatalogHandler} for what it answers and how it authenticates.
 *
 * @example
 * ```ts
 * const rest = await serveRestCatalog({ catalog, port: 8181, token: process.env.LAKE_TOKEN })
 * // PyIceberg: load_catalog('lake', type='rest', uri=rest.url, token=...)
 * await rest.close()
 * ```
 */
export async function serveRestCatalog(options: ServeRestCatalogOptions): Promise<RestCatalogServer> {
  const { catalog, host = '127.0.0.1', port = 8181, ...handlerOptions } = options
  const server = createServer(createRestCatalogHandler(catalog, handlerOptions))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${hostname}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
