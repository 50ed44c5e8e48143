// A buyer's static site bundle (tar, tar.gz or zip), unpacked into memory under caps. Nothing is
// written to disk and the site is served from this map, so a name like `../../etc/passwd` can never
// reach the file system; names are still checked, so a hostile bundle is refused with its reason
// rather than served half. Refused: absolute or `..` paths, backslashes and NULs, symlinks, hard
// links and devices, encrypted or ZIP64 entries, more files or bytes than the caps, and a zip whose
// entries inflate more than `maxRatio` times (a zip bomb).
import { gunzipSync, inflateRawSync } from 'node:zlib'
import { CyclexError, registerErrorClass } from '../../../shared/errors'

/** The bundle is refused: the message says which entry and why. */
export class BundleRefusedError extends CyclexError {
  static override readonly code: string = 'ERR_BUNDLE_REFUSED'
}
registerErrorClass(BundleRefusedError)

export type BundleFormat = 'tar' | 'tar.gz' | 'zip'

export interface BundleLimits {
  /** Total bytes of all files once unpacked; default 64 MiB. */
  maxTotalBytes: number
  /** Files in the bundle; default 2,000. */
  maxFiles: number
  /** A zip entry may inflate at most this many times its compressed size; default 100. */
  maxRatio: number
}

export const defaultBundleLimits: BundleLimits = { maxTotalBytes: 64 * 2 ** 20, maxFiles: 2000, maxRatio: 100 }

export type SiteFiles = ReadonlyMap<string, Uint8Array>

/** A path inside the site: forward slashes, no empty, `.` or `..` segment, printable. */
export function checkEntryPath(raw: string): string {
  const name = raw.replace(/^\.\//, '')
  if (name === '' || name.length > 512) throw new BundleRefusedError(`an entry has an empty or over-long name`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(name))
    throw new BundleRefusedError(`entry '${name}' has a backslash or a control character in its name`)
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
    throw new BundleRefusedError(`entry '${name}' is an absolute path`)
  const segments = name.replace(/\/$/, '').split('/')
  if (segments.some((segment) => segment === '..'))
    throw new BundleRefusedError(`entry '${name}' leaves the site's folder (path traversal)`)
  if (segments.some((segment) => segment === '' || segment === '.'))
    throw new BundleRefusedError(`entry '${name}' has an empty or '.' segment`)
  return segments.join('/')
}

class Collector {
  readonly files = new Map<string, Uint8Array>()
  private total = 0
  constructor(private readonly limits: BundleLimits) {}

  /** Check the size before the bytes exist (declared sizes), so a bomb is refused before it is inflated. */
  reserve(name: string, size: number): void {
    if (this.files.size + 1 > this.limits.maxFiles)
      throw new BundleRefusedError(`the bundle has more than ${this.limits.maxFiles} files`)
    if (this.total + size > this.limits.maxTotalBytes) {
      throw new BundleRefusedError(`the bundle unpacks to more than ${this.limits.maxTotalBytes} bytes (at '${name}')`)
    }
    this.total += size
  }

  add(name: string, bytes: Uint8Array): void {
    if (this.files.has(name)) throw new BundleRefusedError(`entry '${name}' appears twice`)
    this.files.set(name, bytes)
  }
}

function tarString(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length)
  const end = field.indexOf(0)
  return new TextDecoder().decode(end === -1 ? field : field.subarray(0, end))
}

function tarNumber(block: Uint8Array, offset: number, length: number, what: string): number {
  const text = tarString(block, offset, length).trim()
  if (!/^[0-7]*$/.test(text)) throw new BundleRefusedError(`a tar header has a malformed ${what}`)
  return text === '' ? 0 : parseInt(text, 8)
}

function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data)
  let found: string | undefined
  for (const line of text.split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(line)
    if (match) found = match[1]
  }
  return found
}

function unpackTar(bytes: Uint8Array, limits: BundleLimits): SiteFiles {
  const collector = new Collector(limits)
  let offset = 0
  let longName: string | undefined
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const checksum = tarNumber(header, 148, 8, 'checksum')
    let sum = 0
    for (let index = 0; index < 512; index++) sum += index >= 148 && index < 156 ? 0x20 : header[index]!
    if (sum !== checksum)
      throw new BundleRefusedError('a tar header has a wrong checksum: the bundle is damaged or not a tar')
    const size = tarNumber(header, 124, 12, 'size')
    const type = String.fromCharCode(header[156]!)
    const prefix = tarString(header, 257, 6) === 'ustar' ? tarString(header, 345, 155) : ''
    const headerName = prefix === '' ? tarString(header, 0, 100) : `${prefix}/${tarString(header, 0, 100)}`
    const dataStart = offset + 512
    const dataEnd = dataStart + size
    if (dataEnd > bytes.length)
      throw new BundleRefusedError(`tar entry '${headerName}' runs past the end of the bundle`)
    const data = bytes.subarray(dataStart, dataEnd)
    offset = dataStart + Math.ceil(size / 512) * 512
    if (type === 'x' || type === 'L') {
      if (size > 64 * 1024) throw new BundleRefusedError('a tar extended header is too large')
      longName = type === 'x' ? paxPath(data) : tarString(data, 0, data.length)
      continue
    }
    if (type === 'g') continue
    const name = longName ?? headerName
    longName = undefined
    if (type === '5') {
      checkEntryPath(name)
      continue
    }
    if (type === '1' || type === '2')
      throw new BundleRefusedError(
        `entry '${name}' is a ${type === '2' ? 'symbolic' : 'hard'} link; a site may hold only files`,
      )
    if (type !== '0' && type !== '\0' && type !== '7')
      throw new BundleRefusedError(`entry '${name}' is not a regular file (tar type '${type}')`)
    const path = checkEntryPath(name)
    collector.reserve(path, size)
    collector.add(path, new Uint8Array(data))
  }
  return collector.files
}

function unpackZip(bytes: Uint8Array, limits: BundleLimits): SiteFiles {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // The end-of-central-directory record: the last 22 bytes, or earlier when there is a comment.
  let end = -1
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65_535); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at
      break
    }
  }
  if (end === -1) throw new BundleRefusedError('the bundle is not a zip: it has no end-of-central-directory record')
  const entries = view.getUint16(end + 10, true)
  let offset = view.getUint32(end + 16, true)
  if (entries === 0xffff || offset === 0xffffffff) throw new BundleRefusedError('ZIP64 archives are not accepted')
  const collector = new Collector(limits)
  for (let index = 0; index < entries; index++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== 0x02014b50)
      throw new BundleRefusedError('the zip central directory is damaged')
    const made = view.getUint16(offset + 4, true) >> 8
    const flags = view.getUint16(offset + 8, true)
    const method = view.getUint16(offset + 10, true)
    const compressedSize = view.getUint32(offset + 20, true)
    const size = view.getUint32(offset + 24, true)
    const nameLength = view.getUint16(offset + 28, true)
    const extraLength = view.getUint16(offset + 30, true)
    const commentLength = view.getUint16(offset + 32, true)
    const external = view.getUint32(offset + 38, true)
    const localOffset = view.getUint32(offset + 42, true)
    const name = new TextDecoder().decode(bytes.subarray(offset + 46, offset + 46 + nameLength))
    offset += 46 + nameLength + extraLength + commentLength
    if (flags & 0x1) throw new BundleRefusedError(`entry '${name}' is encrypted`)
    if (compressedSize === 0xffffffff || size === 0xffffffff)
      throw new BundleRefusedError('ZIP64 archives are not accepted')
    const unixMode = made === 3 ? external >>> 16 : 0
    const fileType = unixMode & 0o170000
    if (fileType === 0o120000)
      throw new BundleRefusedError(`entry '${name}' is a symbolic link; a site may hold only files`)
    if (name.endsWith('/')) {
      checkEntryPath(name)
      continue
    }
    if (fileType !== 0 && fileType !== 0o100000) throw new BundleRefusedError(`entry '${name}' is not a regular file`)
    const path = checkEntryPath(name)
    if (size > 0 && size / Math.max(1, compressedSize) > limits.maxRatio) {
      throw new BundleRefusedError(
        `entry '${name}' inflates ${Math.round(size / Math.max(1, compressedSize))} times its size (the limit is ${limits.maxRatio}): a zip bomb`,
      )
    }
    collector.reserve(path, size)
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== 0x04034b50)
      throw new BundleRefusedError(`entry '${name}' has no local header`)
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true)
    if (dataStart + compressedSize > bytes.length)
      throw new BundleRefusedError(`entry '${name}' runs past the end of the bundle`)
    const compressed = bytes.subarray(dataStart, dataStart + compressedSize)
    let data: Uint8Array
    if (method === 0) data = new Uint8Array(compressed)
    else if (method === 8) {
      try {
        // Never inflate past the declared size, whatever the stream says.
        data = new Uint8Array(inflateRawSync(compressed, { maxOutputLength: Math.max(1, size) }))
      } catch (error) {
        throw new BundleRefusedError(
          `entry '${name}' does not inflate to its declared ${size} bytes: ${(error as Error).message}`,
        )
      }
    } else
      throw new BundleRefusedError(
        `entry '${name}' uses compression method ${method}; only stored and deflate are accepted`,
      )
    if (data.length !== size)
      throw new BundleRefusedError(`entry '${name}' inflates to ${data.length} bytes, not the ${size} it declares`)
    collector.add(path, data)
  }
  return collector.files
}

/** The format from the first bytes: zip's PK\3\4 (or an empty zip's PK\5\6), gzip's 1f 8b, else tar. */
export function detectBundleFormat(bytes: Uint8Array): BundleFormat {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'zip'
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'tar.gz'
  return 'tar'
}

export function unpackBundle(bytes: Uint8Array, limits: BundleLimits = defaultBundleLimits): SiteFiles {
  const format = detectBundleFormat(bytes)
  let files: SiteFiles
  if (format === 'zip') files = unpackZip(bytes, limits)
  else if (format === 'tar.gz') {
    let tar: Uint8Array
    try {
      // A tar adds at most a header per file and the final blocks on top of the content.
      tar = new Uint8Array(gunzipSync(bytes, { maxOutputLength: limits.maxTotalBytes + (limits.maxFiles + 4) * 1024 }))
    } catch (error) {
      throw new BundleRefusedError(`the gzip stream does not unpack within the limits: ${(error as Error).message}`)
    }
    if (tar.length / Math.max(1, bytes.length) > limits.maxRatio * 10) {
      throw new BundleRefusedError(
        `the gzip stream inflates ${Math.round(tar.length / bytes.length)} times its size: a zip bomb`,
      )
    }
    files = unpackTar(tar, limits)
  } else files = unpackTar(bytes, limits)
  if (files.size === 0) throw new BundleRefusedError('the bundle has no files')
  if (![...files.keys()].some((path) => /\.html?$/i.test(path)))
    throw new BundleRefusedError('the bundle has no HTML page to serve')
  return files
}
