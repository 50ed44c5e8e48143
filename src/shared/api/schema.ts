// Runtime schemas turn untrusted JSON into typed values or into one ValidationError that names the
// field and says what is wrong with it in words a person understands.
import type { z } from 'zod'
import { ValidationError } from '../errors'

/** `window.end`, `addresses[2]`, or `(root)` for the value itself. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let formatted = ''
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`
    else formatted += formatted === '' ? String(segment) : `.${String(segment)}`
  }
  return formatted
}

const articles: Record<string, string> = { array: 'an array', object: 'an object', integer: 'an integer' }

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `'${key}'`).join(', ')}`
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${articles[issue.expected] ?? `a ${issue.expected}`}`
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters`
        : issue.origin === 'array'
          ? `must have at most ${issue.maximum} entries`
          : `must be at most ${issue.maximum}`
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1
        ? 'must not be empty'
        : issue.origin === 'string'
          ? `must be at least ${issue.minimum} characters`
          : issue.origin === 'array'
            ? `must have at least ${issue.minimum} entries`
            : `must be at least ${issue.minimum}`
    default:
      return issue.message
  }
}

/**
 * Parse `input` with `schema`; on failure throw a ValidationError for the first issue: the field and
 * what is wrong with it ("address must be a string", path "address"), or the subject when the
 * whole value is wrong ("node.connect parameters has unknown field 'extra'").
 */
export function parseWith<Schema extends z.ZodType>(schema: Schema, input: unknown, subject: string): z.output<Schema> {
  const result = schema.safeParse(input, { reportInput: true })
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (!issue) throw new ValidationError(`${subject} is not valid`)
  const path = formatIssuePath(issue.path)
  const where = path === '' ? subject : path
  throw new ValidationError(`${where} ${describeIssue(issue)}`, path === '' ? {} : { path })
}
