// A job's output: a greymap (the Mandelbrot sample writes one) is painted into a canvas, anything else
// is shown as text.
import { useEffect, useMemo, useRef } from 'react'
import { decodePgm, greymapRgba, isPgm, type Greymap } from './pgm'

export function OutputView({ stdout, stderr }: { stdout: Uint8Array; stderr: Uint8Array }) {
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
      {image instanceof Error && <p className="error">{image.message}</p>}
      {image && !(image instanceof Error) ? (
        <canvas ref={canvas} className="job-image" data-testid="job-image" width={image.width} height={image.height} aria-label={`The job's output: a ${image.width} x ${image.height} greymap`} />
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
