// One `cyclex <name>` subcommand. The CLI entry (cli.ts) looks the name up and runs it; each
// subcommand lives in its own file under commands/.

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
