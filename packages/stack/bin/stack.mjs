#!/usr/bin/env node
// `pnpm stack up|down|status|logs [service…]`: the lakehouse's services on this machine.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { StackError } from '../src/env.mjs'
import { tail } from '../src/process.mjs'
import { services, withRequirements } from '../src/services.mjs'

const usage = `usage: pnpm stack <up|down|status|logs> [${services.map((s) => s.name).join('|')}] [--follow]

  up       fetch (once), configure and start the services (all when none is named); waits until they answer
  down     stop the processes the stack started
  status   which processes run and whether each service answers
  logs     the end of each service's logs (--follow to keep reading)

Environment: LAKE_STACK_DIR (data, logs, pids; default ~/.cache/lake-stack/data),
LAKE_STACK_CACHE (jars; default ~/.cache/lake-stack), JAVA_HOME or LAKE_STACK_JAVA,
LAKE_HDFS_NAMENODE_RPC_PORT (8020), LAKE_HDFS_NAMENODE_HTTP_PORT (9870),
LAKE_HDFS_DATANODE_PORT (9866), LAKE_HDFS_DATANODE_HTTP_PORT (9864), LAKE_HDFS_DATANODE_IPC_PORT (9867),
LAKE_KAFKA_PORT (9092), LAKE_KAFKA_CONTROLLER_PORT (9093), LAKE_REST_PORT (8181), LAKE_REST_TOKEN,
LAKE_WAREHOUSE (hdfs://…/warehouse), LAKE_TRINO_PORT (8080), LAKE_TRINO_JAVA (a Java 24+ for Trino).

\`up trino\` starts what it needs first (hdfs, rest).`

/** @param {string[]} argv */
async function main(argv) {
  const [command, ...rest] = argv
  const follow = rest.includes('--follow') || rest.includes('-f')
  const names = rest.filter((arg) => !arg.startsWith('-'))
  const unknown = names.filter((name) => !services.some((s) => s.name === name))
  if (!command || unknown.length > 0) {
    if (unknown.length > 0) console.error(`unknown service: ${unknown.join(', ')}`)
    console.error(usage)
    return 2
  }
  const selected = names.length === 0 ? services : services.filter((s) => names.includes(s.name))
  switch (command) {
    case 'up':
      for (const service of withRequirements(selected)) {
        const started = performance.now()
        await service.up()
        console.error(`${service.name}: up in ${((performance.now() - started) / 1000).toFixed(1)} s`)
      }
      return 0
    case 'down':
      for (const service of [...selected].reverse()) await service.down()
      return 0
    case 'status': {
      let healthy = true
      for (const service of selected) {
        const status = await service.status()
        healthy &&= status.healthy
        console.log(`${service.name} — ${service.describe()}`)
        for (const line of status.lines) console.log(`  ${line}`)
      }
      return healthy ? 0 : 1
    }
    case 'logs': {
      const files = selected.flatMap((s) => s.logFiles()).filter((file) => existsSync(file))
      if (files.length === 0) {
        console.error('no logs yet; run pnpm stack up first')
        return 1
      }
      if (follow) {
        const child = spawn('tail', ['-n', '20', '-F', ...files], { stdio: 'inherit' })
        return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)))
      }
      for (const file of files) console.log(`==> ${file} <==\n${tail(file, 40)}`)
      return 0
    }
    default:
      console.error(usage)
      return 2
  }
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  if (error instanceof StackError) {
    console.error(`stack: ${error.message}`)
    process.exitCode = 1
  } else {
    throw error
  }
}
