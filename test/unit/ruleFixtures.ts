// Records and couplings shaped as the APIs return them (a BC customer, a Dataverse account), for the pure
// rule tests. No server: these tests run in `npm run test:unit`.
import { parseMapping } from '../../activities/mappings/mappingConfig';
import { defaultMappings } from '../../activities/mappings/defaultMappings';
import type { IntegrationTableMapping } from '../../activities/mappings/integrationTableMapping';
import { newCoupling, type CouplingDoc } from '../../activities/store/couplings';
import type { SideShape } from '../../activities/engine/recordVersion';

export const bcCustomers: SideShape = {
  name: 'bc',
  entity: 'customers',
  keyField: 'id',
  modifiedField: 'lastModifiedDateTime',
};
export const crmAccounts: SideShape = {
  name: 'crm',
  entity: 'accounts',
  keyField: 'accountid',
  modifiedField: 'modifiedon',
};

export const INTEGRATION_USER = '6f1e0c1a-8a46-4b7e-9d8e-6b0c1f3e2a10';
export const SALES_USER = 'b3c8a9d2-1f44-4c1e-a0f1-7d2e5c6b9a01';

export function customerMapping(change: Partial<IntegrationTableMapping> = {}): IntegrationTableMapping {
  const input = defaultMappings.find((m) => m.name === 'CUSTOMER')!;
  return { ...parseMapping(input), ...change };
}

export const T0 = new Date('2026-11-30T08:00:00Z');
export const T1 = new Date('2026-11-30T09:15:00Z');

/** BC customer 10000 "Adatum Corporation", as the custom API returns it. */
export function adatum(etag = 'W/"JzQ0O0VnQUFBQUo3QlRFQU1BQUFBQUFBQUFBQTs="'): Record<string, unknown> {
  return {
    '@odata.etag': etag,
    id: '5d115c9c-44e3-ea11-bb43-000d3a2feca1',
    number: '10000',
    displayName: 'Adatum Corporation',
    phoneNumber: '+1 425 555 0100',
    email: 'robert.townes@contoso.com',
    salespersonCode: 'PS',
    currencyCode: '',
    blocked: ' ',
    lastModifiedDateTime: T1.toISOString(),
  };
}

/** The Dataverse account coupled to Adatum. */
export function adatumAccount(versionnumber = 884213): Record<string, unknown> {
  return {
    '@odata.etag': `W/"${versionnumber}"`,
    accountid: '1f0b6b1e-6a2f-ef11-8409-000d3a8b2a55',
    name: 'Adatum Corporation',
    telephone1: '+1 425 555 0100',
    emailaddress1: 'robert.townes@contoso.com',
    versionnumber,
    modifiedon: '2026-11-30T08:00:00Z',
    _modifiedby_value: INTEGRATION_USER,
    statecode: 0,
    customertypecode: 3,
  };
}

/** Adatum's coupling as a previous job left it. */
export function adatumCoupling(patch: Partial<CouplingDoc> = {}): CouplingDoc {
  const c = newCoupling('CUSTOMER', String(adatum().id), String(adatumAccount().accountid), T0);
  return {
    ...c,
    bcVersion: 'W/"JzQ0O0VnQUFBQUo3QlRFQU1BQUFBQUFBQUFBQTs="',
    crmVersion: '884213',
    toCrm: {
      lastSyncModifiedOn: T0,
      lastResult: 'Success',
      lastJobId: 'job-previous',
      lastAction: 'Modified',
    },
    fromCrm: { lastSyncModifiedOn: T0, lastResult: 'Success', lastJobId: 'job-previous-2' },
    ...patch,
  };
}
