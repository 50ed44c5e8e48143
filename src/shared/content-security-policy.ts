// The Content-Security-Policy of the desktop window and of the page a headless node serves. The renderer is one bundle of scripts and one
// stylesheet loaded from its own origin; it needs no inline code, no eval, no remote resources and
// no plugins, so it gets none. connect-src 'self' also covers the WebSocket of the page a headless
// node serves (CSP Level 3 matches ws: to the page's own host under 'self').
//
// The desktop shell sets it as a header on every response; the headless server sends it as a header
// with every page; src/renderer/index.html carries it in a <meta> tag as well (a unit test keeps the
// two equal). frame-ancestors only works as a header, so the meta tag leaves it out.

const directives: readonly (readonly [name: string, sources: readonly string[]])[] = [
  ['default-src', ["'self'"]],
  ['script-src', ["'self'"]],
  ['style-src', ["'self'"]],
  ['img-src', ["'self'"]],
  ['font-src', ["'self'"]],
  ['connect-src', ["'self'"]],
  ['object-src', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
  ['frame-ancestors', ["'none'"]],
]

export const contentSecurityPolicy = directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ')

/** The directives a <meta http-equiv> policy may carry (browsers ignore frame-ancestors there). */
export const metaContentSecurityPolicy = directives
  .filter(([name]) => name !== 'frame-ancestors')
  .map(([name, sources]) => `${name} ${sources.join(' ')}`)
  .join('; ')

/**
 * Response headers with our policy in place of any the response had: for
 * session.webRequest.onHeadersReceived, which hands the headers over with their original casing.
 */
export function withContentSecurityPolicy(
  headers: Readonly<Record<string, string[]>> | undefined,
  policy: string = contentSecurityPolicy,
): Record<string, string[]> {
  const result: Record<string, string[]> = {}
  for (const [name, values] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = values
  }
  result['Content-Security-Policy'] = [policy]
  return result
}
