// The benchmarks' command-line options, one definition for all of them.

/** The value after `--name` among the process's arguments, or undefined when it is not given. */
export function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`)
  return at < 0 ? undefined : process.argv[at + 1]
}
