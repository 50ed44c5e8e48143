// Draws Cyclex's app and tray icons and writes them as PNG files into resources/.
//
//   npx tsx scripts/make-icons.ts
//
// The icon is a blue rounded square holding a white ring with a gap, the ring's head a dot: a cycle.
// It is drawn here, from geometry, so the icons need no image editor and no image package: each
// pixel is supersampled for smooth edges, and the PNG is written with node:zlib (deflate and crc32).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'

type Rgba = readonly [number, number, number, number]

const background: Rgba = [36, 86, 214, 255]
const foreground: Rgba = [255, 255, 255, 255]
/** Samples per pixel along each axis: 4 x 4 = 16 samples give smooth edges at 16 px. */
const supersampling = 4

// The geometry in units of the icon's side (0..1), so every size is the same drawing.
const cornerRadius = 0.22
const ringRadius = 0.29
const ringHalfWidth = 0.085
/** The gap in the ring, as angles in radians measured clockwise from 12 o'clock. */
const gapStart = (20 * Math.PI) / 180
const gapEnd = (75 * Math.PI) / 180
const headRadius = 0.125

function insideRoundedSquare(x: number, y: number): boolean {
  const nearestX = Math.min(Math.max(x, cornerRadius), 1 - cornerRadius)
  const nearestY = Math.min(Math.max(y, cornerRadius), 1 - cornerRadius)
  return (x - nearestX) ** 2 + (y - nearestY) ** 2 <= cornerRadius ** 2
}

function insideCycleMark(x: number, y: number): boolean {
  const dx = x - 0.5
  const dy = y - 0.5
  const distance = Math.hypot(dx, dy)
  // atan2 of (dx, -dy) is the clockwise angle from 12 o'clock, in -pi..pi; bring it into 0..2pi.
  const angle = (Math.atan2(dx, -dy) + 2 * Math.PI) % (2 * Math.PI)
  const onRing = Math.abs(distance - ringRadius) <= ringHalfWidth && !(angle > gapStart && angle < gapEnd)
  const headX = 0.5 + ringRadius * Math.sin(gapEnd)
  const headY = 0.5 - ringRadius * Math.cos(gapEnd)
  const onHead = Math.hypot(x - headX, y - headY) <= headRadius
  return onRing || onHead
}

/** The icon as straight (non-premultiplied) RGBA rows, `size` x `size`. */
function drawIcon(size: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 4)
  const samples = supersampling * supersampling
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      let squareSamples = 0
      let markSamples = 0
      for (let sy = 0; sy < supersampling; sy++) {
        for (let sx = 0; sx < supersampling; sx++) {
          const x = (column + (sx + 0.5) / supersampling) / size
          const y = (row + (sy + 0.5) / supersampling) / size
          if (!insideRoundedSquare(x, y)) continue
          squareSamples++
          if (insideCycleMark(x, y)) markSamples++
        }
      }
      const alpha = squareSamples / samples
      const markShare = squareSamples === 0 ? 0 : markSamples / squareSamples
      const offset = (row * size + column) * 4
      for (let channel = 0; channel < 3; channel++) {
        pixels[offset + channel] = Math.round(background[channel]! * (1 - markShare) + foreground[channel]! * markShare)
      }
      pixels[offset + 3] = Math.round(alpha * 255)
    }
  }
  return pixels
}

function chunk(type: string, data: Uint8Array): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const checksum = Buffer.alloc(4)
  checksum.writeUInt32BE(crc32(typeAndData))
  return Buffer.concat([length, typeAndData, checksum])
}

/** Encode straight RGBA pixels as a PNG: 8 bits per channel, no filtering, one IDAT chunk. */
function encodePng(size: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // colour type: RGBA
  // bytes 10-12: deflate compression, adaptive filtering, no interlace (all zero)
  const stride = size * 4
  const scanlines = Buffer.alloc((stride + 1) * size)
  for (let row = 0; row < size; row++) {
    // each scanline starts with its filter type, 0 = none
    scanlines.set(rgba.subarray(row * stride, (row + 1) * stride), row * (stride + 1) + 1)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(scanlines, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ])
}

// The window and taskbar icon, and the tray icon at 1x and 2x (Electron picks tray@2x.png on HiDPI).
const outputs = [
  { file: 'icon.png', size: 256 },
  { file: 'tray.png', size: 16 },
  { file: 'tray@2x.png', size: 32 },
]

const resourcesDir = join(import.meta.dirname, '..', 'resources')
for (const { file, size } of outputs) {
  writeFileSync(join(resourcesDir, file), encodePng(size, drawIcon(size)))
  console.log(`wrote resources/${file} (${size} x ${size})`)
}
