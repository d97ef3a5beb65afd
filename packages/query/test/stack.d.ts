// Types of the dev stack's endpoint helpers (plain ESM in @lake/stack) that the integration tests use.
declare module '@lake/stack/trino' {
  export function trinoEndpoint(env?: NodeJS.ProcessEnv): { url: string; port: number; catalog: string }
  export function stopTrino(env?: NodeJS.ProcessEnv, log?: (message: string) => void): Promise<boolean>
  export function startTrino(env?: NodeJS.ProcessEnv, log?: (message: string) => void): Promise<void>
}
declare module '@lake/stack/rest' {
  export function restEndpoint(env?: NodeJS.ProcessEnv): { url: string; warehouse: string; token: string }
}
declare module '@lake/stack/hdfs' {
  export function hdfsEndpoints(env?: NodeJS.ProcessEnv): { namenodeHttp: string }
}
