// Builds the sample jobs in resources/samples/ from their WebAssembly text in resources/samples/src/
// with the wabt package, and the sample site bundle resources/samples/site.tar from
// resources/samples/site/. The built files are committed, so tests and the app need no build step;
// a test (test/unit/delivery/samples.test.ts) rebuilds them and checks the bytes are the same.
//
//   npx tsx scripts/build-samples.ts
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import wabtInit from 'wabt'

export const samplesDir = resolve(import.meta.dirname, '../resources/samples')
export const sampleNames = ['pi', 'matmul', 'mandelbrot'] as const

const includePattern = /^\s*;; @include ([a-z-]+\.wat)\s*$/m

/** Compile WebAssembly text to a binary, expanding `;; @include file.wat` lines from `includeDir`. */
export async function compileWat(name: string, text: string, includeDir: string): Promise<Uint8Array> {
  let source = text
  for (let match = includePattern.exec(source); match; match = includePattern.exec(source)) {
    const included = await readFile(join(includeDir, match[1]!), 'utf8')
    source = source.replace(match[0], included)
  }
  const wabt = await wabtInit()
  const module = wabt.parseWat(`${name}.wat`, source)
  try {
    module.resolveNames()
    module.validate()
    // No debug names: the bytes depend on the source alone.
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: false }).buffer)
  } finally {
    module.destroy()
  }
}

export async function buildSample(name: string): Promise<Uint8Array> {
  const sourceDir = join(samplesDir, 'src')
  return compileWat(name, await readFile(join(sourceDir, `${name}.wat`), 'utf8'), sourceDir)
}

/** A ustar archive of the files in `dir` (one level of subfolders), sorted, with fixed times and owners. */
export async function buildSiteBundle(dir: string): Promise<Uint8Array> {
  const files: { path: string; bytes: Uint8Array }[] = []
  const walk = async (relative: string): Promise<void> => {
    for (const entry of (await readdir(join(dir, relative), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile()) files.push({ path, bytes: new Uint8Array(await readFile(join(dir, path))) })
    }
  }
  await walk('')
  return tarOf(files)
}

/** A plain ustar archive of regular files (used for the sample site and by tests to make bundles). */
export function tarOf(
  files: readonly { path: string; bytes: Uint8Array; type?: string; linkTarget?: string }[],
): Uint8Array {
  const blocks: Uint8Array[] = []
  const encoder = new TextEncoder()
  const field = (header: Uint8Array, offset: number, length: number, text: string): void => {
    header.set(encoder.encode(text).subarray(0, length), offset)
  }
  const octal = (value: number, length: number): string => value.toString(8).padStart(length - 1, '0')
  for (const file of files) {
    const header = new Uint8Array(512)
    field(header, 0, 100, file.path)
    field(header, 100, 8, octal(0o644, 8))
    field(header, 108, 8, octal(0, 8))
    field(header, 116, 8, octal(0, 8))
    field(header, 124, 12, octal(file.type === undefined || file.type === '0' ? file.bytes.length : 0, 12))
    field(header, 136, 12, octal(0, 12))
    header.fill(0x20, 148, 156)
    field(header, 156, 1, file.type ?? '0')
    field(header, 157, 100, file.linkTarget ?? '')
    field(header, 257, 6, 'ustar')
    field(header, 263, 2, '00')
    const checksum = header.reduce((sum, byte) => sum + byte, 0)
    field(header, 148, 8, `${octal(checksum, 7)}\0`)
    blocks.push(header)
    if (file.type === undefined || file.type === '0') {
      const padded = new Uint8Array(Math.ceil(file.bytes.length / 512) * 512)
      padded.set(file.bytes)
      blocks.push(padded)
    }
  }
  blocks.push(new Uint8Array(1024))
  const out = new Uint8Array(blocks.reduce((sum, block) => sum + block.length, 0))
  let offset = 0
  for (const block of blocks) {
    out.set(block, offset)
    offset += block.length
  }
  return out
}

async function main(): Promise<void> {
  for (const name of sampleNames) {
    const bytes = await buildSample(name)
    await writeFile(join(samplesDir, `${name}.wasm`), bytes)
    console.log(`resources/samples/${name}.wasm: ${bytes.length} bytes`)
  }
  const site = await buildSiteBundle(join(samplesDir, 'site'))
  await writeFile(join(samplesDir, 'site.tar'), site)
  console.log(`resources/samples/site.tar: ${site.length} bytes`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
