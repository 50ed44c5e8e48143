// A job's output: a greymap (the Mandelbrot sample writes one) is painted into a canvas, anything else
// is shown as text; either can be downloaded as a file, byte for byte.
import { useEffect, useMemo, useRef } from 'react'
import { decodePgm, greymapRgba, isPgm, type Greymap } from './pgm'

/** The file name a job's output is saved under: the program's name, and .pgm, .txt or .bin by what it holds. */
export function outputFileName(program: string, stdout: Uint8Array): string {
  const base =
    program
      .replace(/\.wasm$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[.-]+/, '') || 'job'
  if (isPgm(stdout)) return `${base}-output.pgm`
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(stdout)
    return `${base}-output.txt`
  } catch {
    return `${base}-output.bin`
  }
}

export function OutputView({
  stdout,
  stderr,
  program = 'job',
}: {
  stdout: Uint8Array
  stderr: Uint8Array
  program?: string
}) {
  // A blob URL for the download link, revoked when the output changes or the view goes.
  const download = useMemo(
    () => ({
      url: URL.createObjectURL(new Blob([stdout as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' })),
      name: outputFileName(program, stdout),
    }),
    [stdout, program],
  )
  useEffect(() => () => URL.revokeObjectURL(download.url), [download])
  const image = useMemo((): Greymap | Error | undefined => {
    if (!isPgm(stdout)) return undefined
    try {
      return decodePgm(stdout)
    } catch (error) {
      return error as Error
    }
  }, [stdout])
  const canvas = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (!context || !image || image instanceof Error) return
    context.putImageData(new ImageData(greymapRgba(image), image.width, image.height), 0, 0)
  }, [image])
  const text = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  return (
    <div className="job-output">
      <h4>Output</h4>
      {stdout.length > 0 && (
        <p>
          <a className="button" data-testid="job-download" href={download.url} download={download.name}>
            Download the output ({stdout.length.toLocaleString('en-US')} bytes)
          </a>
        </p>
      )}
      {image instanceof Error && <p className="error">{image.message}</p>}
      {image && !(image instanceof Error) ? (
        <canvas
          ref={canvas}
          className="job-image"
          data-testid="job-image"
          width={image.width}
          height={image.height}
          aria-label={`The job's output: a ${image.width} x ${image.height} greymap`}
        />
      ) : (
        <pre className="job-text" data-testid="job-stdout">
          {stdout.length === 0 ? '(no output)' : text(stdout)}
        </pre>
      )}
      {stderr.length > 0 && (
        <>
          <h4>Errors</h4>
          <pre className="job-text" data-testid="job-stderr">
            {text(stderr)}
          </pre>
        </>
      )}
    </div>
  )
}
