// Business Central's error shape: `{"error":{"code":"<Family>_<Name>","message":"... CorrelationId: <guid>."}}`
// (apis.md A: errors). Every failure the emulator answers goes through BcApiError so clients see the very
// codes the real service sends and can classify them the same way.
import { randomUUID } from 'node:crypto';

export interface BcErrorBody {
  error: { code: string; message: string };
}

export class BcApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (e.g. Retry-After on 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'BcApiError';
  }

  body(): BcErrorBody {
    return bcErrorBody(this.code, this.message);
  }
}

/** The real service appends a correlation id to every message; clients must not parse around it. */
export function bcErrorBody(code: string, message: string): BcErrorBody {
  return { error: { code, message: `${message}  CorrelationId:  ${randomUUID()}.` } };
}

export const bcErrors = {
  unauthorized: () =>
    new BcApiError(
      401,
      'Authentication_InvalidCredentials',
      'The server has rejected the client credentials.',
      {
        'WWW-Authenticate': 'Bearer realm="api.businesscentral.dynamics.com", error="invalid_token"',
      },
    ),
  resourceNotFound: (segment: string) =>
    new BcApiError(404, 'BadRequest_ResourceNotFound', `Resource not found for the segment '${segment}'.`),
  // Unknown environment: the real message text is not documented (apis.md marks such details unconfirmed).
  environmentNotFound: (environment: string) =>
    new BcApiError(404, 'BadRequest_NotFound', `The environment '${environment}' does not exist.`),
  recordNotFound: (table: string, id: string) =>
    new BcApiError(
      404,
      'BadRequest_NotFound',
      `The ${table} does not exist. Identification fields and values: Id='{${id.toUpperCase()}}'`,
    ),
  // apis.md A: PATCH without If-Match -> 400 BadRequest_InvalidToken.
  missingIfMatch: () =>
    new BcApiError(
      400,
      'BadRequest_InvalidToken',
      'Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.',
    ),
  // apis.md A: stale If-Match -> 409 Request_EntityChanged.
  entityChanged: () =>
    new BcApiError(409, 'Request_EntityChanged', 'Another user has already changed the record.'),
  // The HTTP status for a duplicate key is not documented; 409 is what third-party reports show.
  duplicateKey: (table: string, keyCaption: string, value: string) =>
    new BcApiError(
      409,
      'Internal_EntityWithSameKeyExists',
      `The record in table ${table} already exists. Identification fields and values: ${keyCaption}='${value}'`,
    ),
  stringTooLong: (value: string, max: number) =>
    new BcApiError(
      400,
      'Application_StringExceededLength',
      `The length of the string is ${value.length}, but it must be less than or equal to ${max} characters. Value: ${value}`,
    ),
  requiredField: (field: string) =>
    new BcApiError(
      400,
      'BadRequest_RequiredParamNotProvided',
      `Field '${field}' must not be blank or empty.`,
    ),
  unknownProperty: (field: string, entityType: string) =>
    new BcApiError(
      400,
      'BadRequest',
      `The property '${field}' does not exist on type 'Microsoft.NAV.${entityType}'. Make sure to only use property names that are defined by the type.`,
    ),
  readOnlyField: (field: string) =>
    new BcApiError(400, 'BadRequest_InvalidOperation', `Control '${field}' is read-only.`),
  wrongType: (field: string, edmType: string) =>
    new BcApiError(
      400,
      'BadRequest',
      `Cannot convert a primitive value to the expected type '${edmType}' for the property '${field}'.`,
    ),
  notAnOption: (value: string, options: readonly string[]) =>
    new BcApiError(
      400,
      'Application_EvaluateException',
      `'${value}' is not an option. The existing options are: ${options.join(',')}`,
    ),
  invalidGuid: (value: string) =>
    new BcApiError(
      400,
      'Application_InvalidGUID',
      `Invalid format of GUID string. The correct format of the GUID string is: CDEF7890-ABCD-0123-1234-567890ABCDEF where 0-9, A-F symbolizes hexadecimal digits. Value: ${value}`,
    ),
  tableRelation: (field: string, table: string, value: string, relatedTable: string) =>
    new BcApiError(
      400,
      'Internal_InvalidTableRelation',
      `The field ${field} of table ${table} contains a value (${value}) that cannot be found in the related table (${relatedTable}).`,
    ),
  fieldValidation: (message: string) => new BcApiError(400, 'Application_FieldValidationException', message),
  dialog: (message: string) => new BcApiError(400, 'Application_DialogException', message),
  /** The bcsync pages' error for a PATCH that gives another `id` (BCSyncClientId.Codeunit.al). */
  idChanged: (id: string, given: string) =>
    new BcApiError(
      400,
      'Application_DialogException',
      `The "id" of a record cannot be changed (it is ${id}, the request gives ${given}): an "id" can only be chosen when the record is created.`,
    ),
  badRequest: (message: string) => new BcApiError(400, 'BadRequest', message),
  // BC's error table lists query syntax errors ("Expression expected at position ...") as BadRequest_NotFound.
  querySyntax: (message: string) => new BcApiError(400, 'BadRequest_NotFound', message),
  methodNotAllowed: (method: string, segment: string) =>
    new BcApiError(
      405,
      'BadRequest_MethodNotAllowed',
      `'${method}' requests for '${segment}' are not allowed within Microsoft Dynamics 365 Business Central OData web services.`,
    ),
  actionNotImplemented: (entitySet: string, action: string) =>
    new BcApiError(
      400,
      'BadRequest_MethodNotImplemented',
      `Entity '${entitySet}' does not support the bound action 'Microsoft.NAV.${action}'.`,
    ),
  // apis.md A: a requested page size above the server's 20,000 -> 413.
  pageSizeTooLarge: (requested: number, max: number) =>
    new BcApiError(
      413,
      'RequestEntityTooLarge',
      `The requested page size ${requested} exceeds the maximum page size ${max}. Lower odata.maxpagesize in the Prefer header.`,
    ),
  tooManyRequests: (retryAfterSeconds: number) =>
    new BcApiError(
      429,
      'Application_TooManyRequests',
      'Too many requests reached. Retry after the number of seconds in the Retry-After header.',
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  /** An OData feature Business Central does not document: said plainly, never answered with something else. */
  notImplemented: (feature: string) =>
    new BcApiError(
      501,
      'NotImplemented',
      `${feature} is not documented for Business Central and not emulated; bcsync does not depend on it.`,
    ),
  /** A request queued behind the user's 5 concurrent ones got no slot within the 8-minute operation timeout. */
  queueTimedOut: () =>
    new BcApiError(
      503,
      'Internal_ServiceUnavailable',
      'The request waited in the queue longer than the operation timeout. Send fewer requests at the same time.',
    ),
  serviceUnavailable: () =>
    new BcApiError(
      503,
      'Internal_ServiceUnavailable',
      'The service is temporarily unavailable (injected fault).',
    ),
};
