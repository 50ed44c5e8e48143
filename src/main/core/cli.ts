// The `cyclex` command line: `cyclex <subcommand> [flags]`. Built to out/main/cli.js and run by
// bin/cyclex.js (so `npx cyclex ...`) and by `npm run serve`.
import { CyclexError } from '../../shared/errors'
import type { CliCommand, CliIo } from './cli-command'
import { benchCommand } from './commands/bench'
import { matchCommand } from './commands/match'
import { agreementsCommand, orderCommand } from './commands/order'
import { serveCommand } from './commands/serve'

const subcommands: CliCommand[] = [serveCommand, orderCommand, agreementsCommand, matchCommand, benchCommand]

function help(): string {
  const width = Math.max(...subcommands.map((command) => command.name.length))
  const lines = subcommands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`)
  return `Usage: cyclex <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'cyclex <command> --help' for a command's options.\n`
}

export async function runCli(argv: string[], io: CliIo, signal: AbortSignal): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = subcommands.find((command) => command.name === args[0])
    io.stdout.write(topic ? `${topic.usage}\n` : help())
    return 0
  }
  const command = subcommands.find((candidate) => candidate.name === name)
  if (!command) {
    io.stderr.write(`cyclex: unknown command '${name}'\n\n${help()}`)
    return 2
  }
  try {
    return await command.run(args, io, signal)
  } catch (error) {
    if (error instanceof CyclexError) {
      io.stderr.write(`cyclex ${name}: ${error.message}\n`)
      if (error.code === 'ERR_CONFIG' && !error.path) io.stderr.write(`\n${command.usage}\n`)
      return error.code === 'ERR_CONFIG' ? 2 : 1
    }
    io.stderr.write(`cyclex ${name}: ${(error as Error).stack ?? String(error)}\n`)
    return 1
  }
}

// Run when this file is the program (out/main/cli.js), not when a test imports it.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const controller = new AbortController()
  runCli(
    process.argv.slice(2),
    { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    controller.signal,
  ).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
