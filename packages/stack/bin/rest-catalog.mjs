#!/usr/bin/env node
// The dev stack's Iceberg REST catalog: Lake's `serveRestCatalog` over a Hadoop catalog whose
// warehouse is on the stack's HDFS. Trino (and PyIceberg, Spark…) reach Lake's tables through it.
// Started by `pnpm stack up rest`; settings come from the environment (see src/rest.mjs).
import { HadoopCatalog, ResolvingFileIO, serveRestCatalog, WebHdfsFileIO } from '@lake/catalog'
import { restEndpoint } from '../src/rest.mjs'

const endpoint = restEndpoint()
const io = new WebHdfsFileIO({ namenodes: [endpoint.namenodeHttp], user: endpoint.user })
const catalog = new HadoopCatalog({
  warehouse: endpoint.warehouse,
  io: new ResolvingFileIO({ hdfs: () => io }),
  name: 'lake',
  hooks: {
    log: (event) => {
      if (event.level === 'debug') return
      const fields = JSON.stringify(event.fields ?? {}, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
      console.error(`${new Date().toISOString()} ${event.level} ${event.event}: ${event.message} ${fields}`)
    },
  },
})

const server = await serveRestCatalog({
  catalog,
  host: endpoint.host,
  port: endpoint.port,
  warehouse: endpoint.warehouse,
  token: endpoint.token,
})
console.error(`${new Date().toISOString()} Lake REST catalog at ${server.url} serving ${endpoint.warehouse}`)

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0))
  })
}
