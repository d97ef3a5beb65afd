// What the stack fetches from Maven Central: a service's jars with their runtime dependencies
// (through Maven and ~/.m2), and single artifacts such as a distribution archive, streamed to a
// `.part` file, checked against Maven's SHA-1, then renamed, so an interrupted download is never
// taken for a complete one.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { cacheDir, StackError } from './env.mjs'
import { findMaven } from './process.mjs'

const CENTRAL = 'https://repo1.maven.org/maven2'

/**
 * Copies the runtime dependency closure of a stack `pom.xml` into `<home>/lib`, once (a
 * `.complete` marker is written only after Maven succeeded).
 * @param {{ service: string, what: string, pom: string, properties: Record<string, string>, home: string }} jars
 *   `what` names the jars in messages (e.g. `Hadoop 3.4.3`); `properties` are passed as `-D`.
 * @param {NodeJS.ProcessEnv} env
 * @param {(message: string) => void} log
 */
export function mavenRuntimeJars({ service, what, pom, properties, home }, env, log) {
  const marker = join(home, '.complete')
  if (existsSync(marker)) return
  const mvn = findMaven(env)
  log(`${service}: fetching ${what} jars from Maven Central into ${home}`)
  rmSync(join(home, 'lib'), { recursive: true, force: true })
  const result = spawnSync(
    mvn,
    [
      '-q',
      '-B',
      '-f',
      pom,
      ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${join(home, 'lib')}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  if (result.status !== 0)
    throw new StackError(`Maven could not fetch the ${what} jars (exit ${result.status})`)
  writeFileSync(marker, `${new Date().toISOString()}\n`)
}

/**
 * The local path of a Maven Central artifact, downloaded into `<cache>/downloads` once.
 * @param {{ group: string, artifact: string, version: string, extension: string, classifier?: string }} coordinates
 * @param {NodeJS.ProcessEnv} env
 * @param {(message: string) => void} log
 * @returns {Promise<string>}
 */
export async function mavenArtifact(coordinates, env, log) {
  const { group, artifact, version, extension, classifier } = coordinates
  const file = `${artifact}-${version}${classifier ? `-${classifier}` : ''}.${extension}`
  const dir = join(cacheDir(env), 'downloads')
  const target = join(dir, file)
  if (existsSync(target)) return target
  mkdirSync(dir, { recursive: true })
  const base = env.LAKE_MAVEN_REPOSITORY ?? CENTRAL
  const url = `${base}/${group.replaceAll('.', '/')}/${artifact}/${version}/${file}`
  const expected = (await fetchText(`${url}.sha1`)).trim().split(/\s+/)[0]
  log(`downloading ${url}`)
  const response = await fetch(url).catch((error) => {
    throw new StackError(`Could not reach ${url}: ${error.message}`)
  })
  if (!response.ok || !response.body) throw new StackError(`GET ${url}: HTTP ${response.status}`)
  const hash = createHash('sha1')
  const part = `${target}.part`
  try {
    await pipeline(
      Readable.fromWeb(/** @type {import('node:stream/web').ReadableStream} */ (response.body)),
      new Transform({
        transform(chunk, _encoding, done) {
          hash.update(chunk)
          done(null, chunk)
        },
      }),
      createWriteStream(part),
    )
  } catch (error) {
    rmSync(part, { force: true })
    throw new StackError(`Downloading ${url} failed: ${/** @type {Error} */ (error).message}`)
  }
  const actual = hash.digest('hex')
  if (expected && actual !== expected) {
    rmSync(part, { force: true })
    throw new StackError(`${file}: SHA-1 ${actual} is not Maven Central's ${expected}`)
  }
  renameSync(part, target)
  return target
}

/** @param {string} url */
async function fetchText(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch((error) => {
    throw new StackError(`Could not reach ${url}: ${error.message}`)
  })
  if (!response.ok) throw new StackError(`GET ${url}: HTTP ${response.status}`)
  return response.text()
}
