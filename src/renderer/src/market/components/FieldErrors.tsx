// The order form's one error at a time: shown under the field it is about, and tied to that field
// for assistive technology (aria-invalid, aria-describedby).
import type { ReactNode } from 'react'
import type { FormProblem } from '../form-checks'

export interface FieldErrors {
  /** The error line under `field`, when the error is about it. */
  errorFor(field: string): ReactNode
  /** The attributes of the input of `field`. */
  invalid(field: string): { 'aria-invalid': boolean; 'aria-describedby': string | undefined }
  /** The field the error is about, if any. */
  readonly field: string | undefined
}

export function fieldErrorsOf(formId: string, failure: FormProblem | undefined): FieldErrors {
  const errorField = failure?.field
  return {
    field: errorField,
    errorFor: (field) =>
      failure !== undefined && errorField === field ? (
        <p className="field-error error" id={`${formId}-${field}-error`} data-testid="order-error">
          {failure.message}
        </p>
      ) : null,
    invalid: (field) => ({
      'aria-invalid': errorField === field,
      'aria-describedby': errorField === field ? `${formId}-${field}-error` : undefined,
    }),
  }
}
