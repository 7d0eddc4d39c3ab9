// Dataverse Web API errors: `{"error":{"code":"0x...","message":"..."}}` (apis.md B: errors). Codes and
// messages are the real ones where the docs show them (conditional operations, batch, service protection,
// web API client errors); the few that could not be confirmed are marked *unconfirmed*.

export interface DataverseErrorBody {
  error: { code: string; message: string };
}

export class DataverseApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'DataverseApiError';
  }

  body(): DataverseErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

const type = (logicalName: string): string => `Microsoft.Dynamics.CRM.${logicalName}`;

export const dvErrors = {
  // Web API client errors: unknown entity set / segment.
  resourceNotFound: (segment: string) =>
    new DataverseApiError(404, '0x8006088a', `Resource not found for the segment '${segment}'.`),
  noHttpResource: (url: string) =>
    new DataverseApiError(404, '', `No HTTP resource was found that matches the request URI '${url}'.`),
  methodNotAllowed: (method: string) =>
    new DataverseApiError(
      405,
      '0x80060888',
      `The requested HTTP method '${method}' is not supported on this resource.`,
    ),
  // Conditional operations: "account With Id = ... Does Not Exist" (ObjectDoesNotExist).
  recordNotFound: (logicalName: string, id: string) =>
    new DataverseApiError(404, '0x80040217', `${logicalName} With Id = ${id} Does Not Exist`),
  recordNotFoundByKey: (logicalName: string, key: string) =>
    new DataverseApiError(
      404,
      '0x80040217',
      `A record with the specified key values does not exist in ${logicalName} entity (${key}).`,
    ),
  // DuplicateRecord: a create whose primary key is taken, or If-None-Match: * on an existing row -> 412.
  duplicateRecord: () =>
    new DataverseApiError(412, '0x80040237', 'A record with matching key values already exists.'),
  // DuplicateRecordEntityKey: an alternate key value already used by another row.
  duplicateAlternateKey: (displayName: string, keyName: string) =>
    new DataverseApiError(
      412,
      '0x80060892',
      `A record that has the attribute values ${displayName} already exists. The entity key ${keyName} requires that this set of attributes contains unique values. Select unique values and try again.`,
    ),
  // ConcurrencyVersionMismatch: stale If-Match -> 412.
  versionMismatch: () =>
    new DataverseApiError(
      412,
      '0x80060882',
      "The version of the existing record doesn't match the RowVersion property provided.",
    ),
  // Batch error example in the docs: "A validation error occurred.  The length of the 'subject' ...".
  maxLength: (logicalName: string, attribute: string, max: number) =>
    new DataverseApiError(
      400,
      '0x80044331',
      `A validation error occurred.  The length of the '${attribute}' attribute of the '${logicalName}' entity exceeded the maximum allowed length of '${max}'.`,
    ),
  // *unconfirmed*: code and wording for a missing SystemRequired column.
  requiredMissing: (logicalName: string, attribute: string) =>
    new DataverseApiError(
      400,
      '0x80040203',
      `Required field '${attribute}' is missing. A value for the '${attribute}' attribute of the '${logicalName}' entity must be provided.`,
    ),
  outOfRange: (logicalName: string, attribute: string, value: unknown) =>
    new DataverseApiError(
      400,
      '0x8004431a',
      `A validation error occurred. The value ${String(value)} of '${attribute}' on record of type '${logicalName}' is outside the valid range.`,
    ),
  // Payload errors: "Error identified in Payload provided by the user for Entity :'accounts' ...".
  payload: (entitySet: string, inner: string) =>
    new DataverseApiError(
      400,
      '0x80048d19',
      `Error identified in Payload provided by the user for Entity :'${entitySet}', For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ---->  InnerException : Microsoft.OData.ODataException: ${inner}`,
    ),
  unknownPayloadProperty: (entitySet: string, logicalName: string, property: string) =>
    dvErrors.payload(
      entitySet,
      `The property '${property}' does not exist on type '${type(logicalName)}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
    ),
  badValue: (entitySet: string, value: unknown, edmType: string) =>
    dvErrors.payload(
      entitySet,
      `Cannot convert the literal '${String(value)}' to the expected type '${edmType}'.`,
    ),
  unknownProperty: (logicalName: string, property: string) =>
    new DataverseApiError(
      400,
      '0x80060888',
      `Could not find a property named '${property}' on type '${type(logicalName)}'.`,
    ),
  querySyntax: (message: string) => new DataverseApiError(400, '0x80060888', message),
  // Page results / query overview: $skip, $search and $format are not supported.
  unsupportedQueryOption: (option: string) =>
    new DataverseApiError(400, '0x80060888', `The query parameter ${option} is not supported`),
  // Change tracking: $filter/$orderby/$expand/$top are rejected with odata.track-changes.
  notSupportedWithChangeTracking: (option: string) =>
    new DataverseApiError(
      400,
      '0x80060888',
      `The "${option}" query parameter isn't supported when Change Tracking is enabled.`,
    ),
  // *unconfirmed*: ExpiredVersionStamp wording.
  expiredDeltaToken: () =>
    new DataverseApiError(
      400,
      '0x80044352',
      'Version stamp associated with the client has expired. Please perform a full sync.',
    ),
  invalidDeltaToken: (token: string) =>
    new DataverseApiError(
      400,
      '0x80044352',
      `The delta token '${token}' is not valid. Please perform a full sync.`,
    ),
  invalidSkipToken: () =>
    new DataverseApiError(
      400,
      '0x80060888',
      'The $skiptoken value is not valid. Use the @odata.nextLink returned by the server.',
    ),
  badBind: (entitySet: string, value: unknown) =>
    dvErrors.payload(
      entitySet,
      `The value '${String(value)}' of an @odata.bind annotation is not a valid entity reference URL.`,
    ),
  bindTypeMismatch: (nav: string, targetSet: string) =>
    new DataverseApiError(
      400,
      '0x80060888',
      `The navigation property '${nav}' cannot reference a record of the entity set '${targetSet}'.`,
    ),
  invalidKey: (logicalName: string, key: string) =>
    new DataverseApiError(
      400,
      '0x80060888',
      `The key '${key}' is not valid for entity '${logicalName}': use the primary key or a defined alternate key.`,
    ),
  // Batch: at most 1,000 requests (execute batch operations); wording *unconfirmed*.
  batchTooLarge: (count: number) =>
    new DataverseApiError(
      400,
      '0x80060888',
      `The batch contains ${count} requests; the maximum number of requests in a batch is 1000.`,
    ),
  batchFormat: (message: string) => new DataverseApiError(400, '0x80060888', message),
  badRequest: (message: string) => new DataverseApiError(400, '0x80060888', message),
  // Service protection API limits (number of requests).
  throttled: (retryAfterSeconds: number, limit: number, windowSeconds: number) =>
    new DataverseApiError(
      429,
      '0x80072322',
      `Number of requests exceeded the limit of ${limit} over time window of ${windowSeconds} seconds.`,
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  // Service protection API limits (concurrent requests): refused at once, without queueing.
  throttledConcurrency: (retryAfterSeconds: number, limit: number) =>
    new DataverseApiError(
      429,
      '0x80072326',
      `Number of concurrent requests exceeded the limit of ${limit}.`,
      {
        'Retry-After': String(retryAfterSeconds),
      },
    ),
  // Service protection API limits (execution time): the limit itself and randomly injected 429s.
  throttledExecutionTime: (retryAfterSeconds: number) =>
    new DataverseApiError(
      429,
      '0x80072321',
      'Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.',
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  productNotActive: (productNumber: string) =>
    new DataverseApiError(
      400,
      '0x80040203',
      `The product ${productNumber} is not active: publish it (statecode Active) before it is sold.`,
    ),
  /** A documented feature the emulator does not implement: said plainly, never answered with something else. */
  notImplemented: (feature: string) =>
    new DataverseApiError(
      501,
      '0x80040216',
      `${feature} is not implemented by the bcsync Dataverse emulator.`,
    ),
  unexpected: () => new DataverseApiError(500, '0x80040216', 'An unexpected error occurred.'),
  serviceUnavailable: () =>
    new DataverseApiError(503, '0x80040216', 'The service is temporarily unavailable. Try again later.'),
};
