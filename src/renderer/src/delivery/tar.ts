// A ustar archive of the files of a folder the user picked, built in the page so that a site folder
// travels as the same .tar bundle the seller unpacks (docs/delivery.md). Regular files only.

export interface TarEntry {
  /** Relative path with forward slashes, e.g. "css/site.css". */
  path: string
  bytes: Uint8Array
}

const encoder = new TextEncoder()

function writeText(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = encoder.encode(text)
  if (bytes.length > length) throw new Error(`'${text}' is longer than ${length} bytes, too long for a tar header`)
  header.set(bytes, offset)
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  writeText(header, offset, length, value.toString(8).padStart(length - 1, '0') + '\0')
}

/** Split a long path into ustar's prefix (155) and name (100) at a slash. */
function splitPath(path: string): { prefix: string; name: string } {
  if (encoder.encode(path).length <= 100) return { prefix: '', name: path }
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const prefix = path.slice(0, cut)
    const name = path.slice(cut + 1)
    if (encoder.encode(prefix).length <= 155 && encoder.encode(name).length <= 100) return { prefix, name }
  }
  throw new Error(`the path '${path}' is too long for a tar archive`)
}

function header(entry: TarEntry, mtimeSeconds: number): Uint8Array {
  const block = new Uint8Array(512)
  const { prefix, name } = splitPath(entry.path)
  writeText(block, 0, 100, name)
  writeOctal(block, 100, 8, 0o644)
  writeOctal(block, 108, 8, 0)
  writeOctal(block, 116, 8, 0)
  writeOctal(block, 124, 12, entry.bytes.length)
  writeOctal(block, 136, 12, mtimeSeconds)
  block.fill(0x20, 148, 156)
  block[156] = 0x30
  writeText(block, 257, 6, 'ustar\0')
  writeText(block, 263, 2, '00')
  writeText(block, 345, 155, prefix)
  const checksum = block.reduce((sum, byte) => sum + byte, 0)
  writeText(block, 148, 8, checksum.toString(8).padStart(6, '0') + '\0 ')
  return block
}

/** A tar archive of `entries`, each padded to 512 bytes, ended by two empty blocks. */
export function tarOfEntries(entries: readonly TarEntry[], mtimeSeconds = 0): Uint8Array {
  const size = entries.reduce((total, entry) => total + 512 + Math.ceil(entry.bytes.length / 512) * 512, 1024)
  const archive = new Uint8Array(size)
  let offset = 0
  for (const entry of entries) {
    if (entry.path === '' || entry.path.startsWith('/') || entry.path.split('/').includes('..'))
      throw new Error(`'${entry.path}' is not a relative path inside the folder`)
    archive.set(header(entry, mtimeSeconds), offset)
    archive.set(entry.bytes, offset + 512)
    offset += 512 + Math.ceil(entry.bytes.length / 512) * 512
  }
  return archive
}

/** The path of a picked file inside the picked folder: "site/css/a.css" -> "css/a.css". */
export function pathInsideFolder(relativePath: string): string {
  const slash = relativePath.indexOf('/')
  return slash < 0 ? relativePath : relativePath.slice(slash + 1)
}

/** Base64 of bytes, in chunks so that a large bundle does not overflow the call stack. */
export function base64OfBytes(bytes: Uint8Array): string {
  let binary = ''
  for (let offset = 0; offset < bytes.length; offset += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000))
  return btoa(binary)
}

export function bytesOfBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index)
  return bytes
}
