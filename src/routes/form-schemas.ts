// Body schemas of the HTML forms. Every form carries the CSRF token (`_csrf`, checked by
// app.checkCsrf), declared once here. Handlers get their body types inferred from these schemas
// (JsonSchemaToTsProvider), so a field is never described twice.
export const csrfField = { type: 'string', maxLength: 512 } as const;

/** A form's body: its own fields, which of them are required, and `_csrf`. */
export function formBody<const P extends Record<string, object>, const R extends readonly (keyof P & string)[]>(
  properties: P,
  required: R,
) {
  return { type: 'object', required, properties: { ...properties, _csrf: csrfField } } as const;
}

/** A button's form (resend, cancel, logout): the CSRF token and nothing else. */
export const csrfOnlyBody = { type: 'object', properties: { _csrf: csrfField } } as const;
