// One `cyclex <name>` subcommand. The CLI entry (cli.ts) looks the name up and runs it; each
// subcommand lives in its own file under commands/.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError } from '../../shared/errors'

export interface CliIo {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export interface CliCommand {
  name: string
  /** One line for `cyclex help`. */
  summary: string
  /** Usage text printed for `cyclex help <name>` and after a bad flag. */
  usage: string
  /** Runs the command; resolves to the process exit code. */
  run(args: string[], io: CliIo, signal: AbortSignal): Promise<number>
}

/** node:util's parseArgs, with a bad flag as a ConfigError: the user's to fix, printed with the usage. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config)
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
}

/** The data directory of a command run without --data. */
export function defaultDataDir(): string {
  return join(homedir(), '.cyclex')
}
