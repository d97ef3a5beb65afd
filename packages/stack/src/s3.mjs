// An S3-compatible object store for the dev stack: S3Proxy (org.gaul:s3proxy from Maven Central)
// with its filesystem backend over a local folder. It exists for Trino's spooling protocol, whose
// file system spooling manager (Trino 476) writes segments to S3, GCS or Azure only — not to HDFS
// nor a local path. Trino's coordinator reads the segments back itself and hands them to clients
// (`protocol.spooling.retrieval-mode=coordinator_proxy`), so no client talks to it.
import { createHmac } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mavenArtifact } from './download.mjs'
import { port, stackDir } from './env.mjs'
import {
  checkPortsFree,
  findJava,
  runningPid,
  startDaemon,
  stopDaemon,
  waitUntilHealthy,
} from './process.mjs'

export const S3PROXY_VERSION = '4.1.0'
const HOST = '127.0.0.1'
/** The bucket Trino spools to; `up` makes it. */
export const SPOOLING_BUCKET = 'spooling'
const JAR = {
  group: 'org.gaul',
  artifact: 's3proxy',
  version: S3PROXY_VERSION,
  classifier: 'jar-with-dependencies',
  extension: 'jar',
}

/** Where the object store listens and keeps its objects, from the environment. */
export function s3Endpoint(env = process.env) {
  const s3Port = port('LAKE_S3_PORT', 9878, env)
  return {
    host: HOST,
    port: s3Port,
    url: `http://${HOST}:${s3Port}`,
    /** One folder per bucket under it; an object's key is its path inside the bucket's folder. */
    root: join(stackDir(env), 's3'),
    /** The one key pair the store accepts (AWS signature v2 or v4). */
    accessKey: 'lake',
    secretKey: 'lake-dev-secret',
    region: 'us-east-1',
  }
}

function daemon(env = process.env) {
  const logs = join(stackDir(env), 'logs')
  return {
    name: 's3proxy',
    // Matched against the process's command line: the jar's file name.
    mainClass: `s3proxy-${S3PROXY_VERSION}-jar-with-dependencies.jar`,
    pidFile: join(stackDir(env), 'run', 's3proxy.pid'),
    logFile: join(logs, 's3proxy.log'),
  }
}

/** @type {import('./services.mjs').Service} */
export const s3 = {
  name: 's3',
  describe: () =>
    `S3Proxy ${S3PROXY_VERSION}, an S3 store on a local folder (Trino's spooled result segments)`,
  logFiles: (env) => [daemon(env).logFile],

  async up(env = process.env, log = console.error) {
    const endpoint = s3Endpoint(env)
    const process_ = daemon(env)
    if (runningPid(process_)) {
      await waitHealthy(endpoint, process_, 30_000)
      log(`s3: already running (${endpoint.url})`)
      return
    }
    await checkPortsFree([{ name: 'LAKE_S3_PORT', port: endpoint.port }])
    const java = findJava(17, env)
    const jar = await mavenArtifact(JAR, env, log)
    // The filesystem backend takes each folder under its base directory for a bucket.
    mkdirSync(join(endpoint.root, SPOOLING_BUCKET), { recursive: true })
    const conf = join(stackDir(env), 's3proxy.properties')
    writeFileSync(
      conf,
      [
        `s3proxy.endpoint=${endpoint.url}`,
        's3proxy.authorization=aws-v2-or-v4',
        // Trino's segment pruner lists with x-amz-optional-object-attributes, which S3Proxy
        // would otherwise refuse.
        's3proxy.ignore-unknown-headers=true',
        `s3proxy.identity=${endpoint.accessKey}`,
        `s3proxy.credential=${endpoint.secretKey}`,
        'jclouds.provider=filesystem',
        `jclouds.filesystem.basedir=${endpoint.root}`,
        '',
      ].join('\n'),
    )
    startDaemon(process_, java.path, ['-Xmx256m', '-jar', jar, '--properties', conf], {
      cwd: stackDir(env),
      env,
    })
    log(`s3: started ${process_.name} (log ${process_.logFile})`)
    await waitHealthy(endpoint, process_, Number(env.LAKE_STACK_TIMEOUT_MS ?? 120_000))
    log(`s3: ready — ${endpoint.url} over ${endpoint.root}`)
  },

  async down(env = process.env, log = console.error) {
    if (await stopDaemon(daemon(env), 10_000)) log('s3: stopped s3proxy')
  },

  async status(env = process.env) {
    const endpoint = s3Endpoint(env)
    const pid = runningPid(daemon(env))
    const answer = await probe(endpoint).catch((error) => error)
    return {
      healthy: !(answer instanceof Error),
      lines: [
        `s3proxy: ${pid ? `running (pid ${pid})` : 'stopped'}`,
        answer instanceof Error
          ? `${endpoint.url}: not answering (${answer.message})`
          : `${endpoint.url}: answering; objects under ${endpoint.root}`,
      ],
    }
  },
}

/**
 * A request signed with AWS signature version 2 (which S3Proxy takes beside v4, and which needs
 * no payload hash): enough for the health check's own calls.
 * @param {ReturnType<typeof s3Endpoint>} endpoint
 * @param {'PUT' | 'GET' | 'DELETE'} method
 * @param {string} path `/<bucket>/<key>`
 * @param {string} [body]
 */
function signedFetch(endpoint, method, path, body) {
  const date = new Date().toUTCString()
  const contentType = body === undefined ? '' : 'text/plain'
  const toSign = `${method}\n\n${contentType}\n${date}\n${path}`
  const signature = createHmac('sha1', endpoint.secretKey).update(toSign).digest('base64')
  /** @type {Record<string, string>} */
  const headers = { Date: date, Authorization: `AWS ${endpoint.accessKey}:${signature}` }
  if (contentType) headers['Content-Type'] = contentType
  return fetch(`${endpoint.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(5_000) })
}

/**
 * An object written to the spooling bucket, read back and deleted, with the stack's key pair.
 * @param {ReturnType<typeof s3Endpoint>} endpoint
 */
async function probe(endpoint) {
  const path = `/${SPOOLING_BUCKET}/lake-stack-health-${process.pid}`
  const put = await signedFetch(endpoint, 'PUT', path, 'ok')
  if (!put.ok) throw new Error(`PUT: HTTP ${put.status} ${(await put.text()).slice(0, 200)}`)
  const get = await signedFetch(endpoint, 'GET', path)
  const text = await get.text()
  if (text !== 'ok') throw new Error(`GET: HTTP ${get.status} ${text.slice(0, 200)}`)
  const del = await signedFetch(endpoint, 'DELETE', path)
  if (del.status !== 204) throw new Error(`DELETE: HTTP ${del.status}`)
}

/**
 * @param {ReturnType<typeof s3Endpoint>} endpoint
 * @param {ReturnType<typeof daemon>} process_
 * @param {number} timeoutMs
 */
function waitHealthy(endpoint, process_, timeoutMs) {
  return waitUntilHealthy({
    what: 'The S3 store',
    daemons: [process_],
    timeoutMs,
    intervalMs: 250,
    probe: () => probe(endpoint),
  })
}
