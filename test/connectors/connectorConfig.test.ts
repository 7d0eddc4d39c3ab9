import { answerValidation, parseNotification } from '../../activities/connectors/bcWebhooks';
import { ConfigError, loadConnectorConfig } from '../../activities/connectors/connectorConfig';

const complete = {
  BCSYNC_BC_TENANT: 'contoso.onmicrosoft.com',
  BCSYNC_BC_ENVIRONMENT: 'sandbox',
  BCSYNC_BC_COMPANY_NAME: 'CRONUS USA, Inc.',
  BCSYNC_BC_CLIENT_ID: 'bc-app',
  BCSYNC_BC_CLIENT_SECRET: 'bc-secret-value-do-not-print',
  BCSYNC_DATAVERSE_URL: 'https://contoso.crm.dynamics.com/',
  BCSYNC_DATAVERSE_CLIENT_ID: 'dv-app',
  BCSYNC_DATAVERSE_CLIENT_SECRET: 'dv-secret-value-do-not-print',
};

describe('connector configuration from the environment', () => {
  it('fills the Microsoft defaults for a real tenant', () => {
    const config = loadConnectorConfig(complete);
    expect(config.bc).toMatchObject({
      apiUrl: 'https://api.businesscentral.dynamics.com',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      scope: 'https://api.businesscentral.dynamics.com/.default',
      tenantInUrl: true,
      company: { name: 'CRONUS USA, Inc.' },
      customApiPath: 'bcsync/integration/v1.0',
    });
    expect(config.dataverse).toMatchObject({
      url: 'https://contoso.crm.dynamics.com',
      tenant: 'contoso.onmicrosoft.com',
      scope: 'https://contoso.crm.dynamics.com/.default',
    });
  });

  it('uses the emulator path shape when the API URL is overridden', () => {
    const config = loadConnectorConfig({
      ...complete,
      BCSYNC_BC_API_URL: 'http://127.0.0.1:7048',
      BCSYNC_BC_TOKEN_URL: 'http://127.0.0.1:7048/bcsync-demo/oauth2/v2.0/token',
    });
    expect(config.bc.tenantInUrl).toBe(false);
    expect(config.bc.tokenUrl).toBe('http://127.0.0.1:7048/bcsync-demo/oauth2/v2.0/token');
  });

  it('names every missing or invalid variable with what to set, and never prints a secret', () => {
    let error: unknown;
    try {
      loadConnectorConfig({
        BCSYNC_BC_CLIENT_SECRET: 'bc-secret-value-do-not-print',
        BCSYNC_BC_COMPANY_ID: 'not-a-guid',
        BCSYNC_DATAVERSE_URL: 'dv-secret-value-do-not-print',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      'BCSYNC_BC_TENANT',
      'BCSYNC_BC_CLIENT_ID',
      'BCSYNC_BC_COMPANY_ID',
      'BCSYNC_DATAVERSE_URL',
      'BCSYNC_DATAVERSE_CLIENT_SECRET',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).toContain('set it to');
    expect(message).not.toContain('do-not-print');
  });
});

describe('BC webhook receiver helpers', () => {
  it('answers the validation handshake with the token as plain text, never sniffed, never too long', () => {
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
    expect(answerValidation('/hooks/bc?validationToken=abc%20123')).toEqual({
      status: 200,
      headers,
      body: 'abc 123',
    });
    expect(answerValidation('https://receiver.example/hooks/bc')).toBeUndefined();
    expect(answerValidation(`/hooks/bc?validationToken=${'x'.repeat(1025)}`)).toEqual({
      status: 400,
      headers,
      body: 'validationToken is too long',
    });
  });

  it('parses a notification and rejects a malformed one', () => {
    const value = [
      {
        subscriptionId: 's1',
        clientState: 'c',
        expirationDateTime: '2024-01-04T00:00:00Z',
        resource: 'api/v2.0/companies(1)/customers(2)',
        changeType: 'updated',
        lastModifiedDateTime: '2024-01-01T00:00:00Z',
      },
    ];
    expect(parseNotification({ value })[0]!.changeType).toBe('updated');
    expect(() => parseNotification({ value: [{ subscriptionId: 's1' }] })).toThrow();
  });
});
