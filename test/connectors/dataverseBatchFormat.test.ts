// The multipart format of Dataverse $batch, checked against the answers shown in the Dataverse Web API
// documentation ("Execute batch operations using the Web API").
import { buildBatchBody, parseBatchResponse } from '../../activities/connectors/dataverseBatch';

const CRLF = '\r\n';

describe('Dataverse $batch format', () => {
  it('writes one change set per group, with Content-ID, method line, headers and JSON body', () => {
    const { contentType, body } = buildBatchBody([
      [
        {
          contentId: '1',
          method: 'POST',
          url: 'https://org/api/data/v9.2/accounts',
          headers: { Prefer: 'return=representation' },
          body: { name: 'A' },
        },
      ],
      [
        {
          contentId: '2',
          method: 'DELETE',
          url: 'https://org/api/data/v9.2/accounts(1)',
          headers: { 'If-Match': 'W/"5"' },
        },
      ],
    ]);
    const boundary = /boundary="([^"]+)"/.exec(contentType)![1];
    expect(body.startsWith(`--${boundary}${CRLF}Content-Type: multipart/mixed; boundary="changeset_`)).toBe(
      true,
    );
    expect(body).toContain(
      `Content-ID: 1${CRLF}${CRLF}POST https://org/api/data/v9.2/accounts HTTP/1.1${CRLF}Prefer: return=representation${CRLF}Content-Type: application/json; type=entry${CRLF}${CRLF}{"name":"A"}`,
    );
    expect(body).toContain(`DELETE https://org/api/data/v9.2/accounts(1) HTTP/1.1${CRLF}If-Match: W/"5"`);
    expect(body.trimEnd().endsWith(`--${boundary}--`)).toBe(true);
  });

  it('parses a continue-on-error answer with an error and two creates (no change sets)', () => {
    const b = 'batchresponse_f44bd09d';
    const text = [
      `--${b}`,
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      'HTTP/1.1 400 Bad Request',
      'Content-Type: application/json; odata.metadata=minimal',
      'OData-Version: 4.0',
      '',
      '{"error":{"code":"0x80044331","message":"A validation error occurred."}}',
      `--${b}`,
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      'HTTP/1.1 204 No Content',
      'OData-Version: 4.0',
      'OData-EntityId: https://org/api/data/v9.2/tasks(aed2ae8b-3c94-ed11-aad1-000d3a9933c9)',
      '',
      '',
      `--${b}--`,
      '',
    ].join(CRLF);
    const parts = parseBatchResponse(`multipart/mixed; boundary=${b}`, text);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatchObject({ status: 400 });
    expect(JSON.parse(parts[0]!.body)).toEqual({
      error: { code: '0x80044331', message: 'A validation error occurred.' },
    });
    expect(parts[1]).toMatchObject({ status: 204, body: '' });
    expect(parts[1]!.headers['odata-entityid']).toContain('aed2ae8b');
  });

  it('parses change set answers and keeps their Content-IDs', () => {
    const b = 'batchresponse_1';
    const c = 'changesetresponse_2';
    const text = [
      `--${b}`,
      `Content-Type: multipart/mixed; boundary=${c}`,
      '',
      `--${c}`,
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      'Content-ID: 7',
      '',
      'HTTP/1.1 201 Created',
      'Content-Type: application/json',
      '',
      '{"accountid":"x","@odata.etag":"W/\\"1\\""}',
      `--${c}--`,
      `--${b}--`,
    ].join('\n');
    const parts = parseBatchResponse(`multipart/mixed; boundary="${b}"`, text);
    expect(parts).toEqual([
      {
        contentId: '7',
        status: 201,
        headers: { 'content-type': 'application/json' },
        body: '{"accountid":"x","@odata.etag":"W/\\"1\\""}',
      },
    ]);
  });
});
