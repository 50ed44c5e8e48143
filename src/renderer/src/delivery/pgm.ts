// Netpbm greymap (PGM) decoding, for the Mandelbrot sample's output: binary P5 and plain P2, 8 or 16
// bits, with # comments in the header. Pure; the page paints the result into a canvas.

export interface Greymap {
  width: number
  height: number
  /** One byte per pixel, scaled to 0-255. */
  pixels: Uint8Array
}

/** Whether a job's output looks like a greymap (starts with the P5 or P2 magic number). */
export function isPgm(bytes: Uint8Array): boolean {
  return (
    bytes.length > 2 &&
    bytes[0] === 0x50 &&
    (bytes[1] === 0x35 || bytes[1] === 0x32) &&
    /\s/.test(String.fromCharCode(bytes[2]!))
  )
}

const maxPixels = 16 * 2 ** 20

/** Decode a PGM; throws an Error that says what is wrong. */
export function decodePgm(bytes: Uint8Array): Greymap {
  if (!isPgm(bytes)) throw new Error('not a PGM image (no P5 or P2 magic number)')
  const plain = bytes[1] === 0x32
  let offset = 2
  const isSpace = (byte: number): boolean =>
    byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c
  const nextNumber = (): number => {
    for (;;) {
      while (offset < bytes.length && isSpace(bytes[offset]!)) offset++
      if (bytes[offset] !== 0x23) break
      while (offset < bytes.length && bytes[offset] !== 0x0a) offset++
    }
    let text = ''
    while (offset < bytes.length && bytes[offset]! >= 0x30 && bytes[offset]! <= 0x39)
      text += String.fromCharCode(bytes[offset++]!)
    if (text === '') throw new Error(`the PGM header has no number at byte ${offset}`)
    return Number(text)
  }
  const width = nextNumber()
  const height = nextNumber()
  const maxValue = nextNumber()
  if (width < 1 || height < 1 || width * height > maxPixels)
    throw new Error(`a ${width} x ${height} image is not drawn (at most ${maxPixels} pixels)`)
  if (maxValue < 1 || maxValue > 65535) throw new Error(`the PGM's maximum grey value ${maxValue} is outside 1-65535`)
  const pixels = new Uint8Array(width * height)
  const scale = (value: number): number => Math.round((Math.min(value, maxValue) * 255) / maxValue)
  if (plain) {
    for (let index = 0; index < pixels.length; index++) pixels[index] = scale(nextNumber())
    return { width, height, pixels }
  }
  // One whitespace byte ends the header of a binary greymap.
  offset++
  const bytesPerPixel = maxValue > 255 ? 2 : 1
  if (bytes.length - offset < pixels.length * bytesPerPixel) {
    throw new Error(
      `the PGM is cut short: ${pixels.length * bytesPerPixel} bytes of pixels expected, ${Math.max(0, bytes.length - offset)} present`,
    )
  }
  for (let index = 0; index < pixels.length; index++) {
    const at = offset + index * bytesPerPixel
    pixels[index] = scale(bytesPerPixel === 2 ? (bytes[at]! << 8) | bytes[at + 1]! : bytes[at]!)
  }
  return { width, height, pixels }
}

/** RGBA bytes for a canvas ImageData. */
export function greymapRgba(image: Greymap): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(new ArrayBuffer(image.pixels.length * 4))
  image.pixels.forEach((grey, index) => {
    rgba[index * 4] = grey
    rgba[index * 4 + 1] = grey
    rgba[index * 4 + 2] = grey
    rgba[index * 4 + 3] = 255
  })
  return rgba
}
