// Which Business Central entity sets accept webhook subscriptions. API v2.0: the documented list
// ("Working with webhooks", List of supported entities,
// https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/dynamics-subscriptions);
// contacts and salespeoplePurchasers are not on it. Custom API pages are webhook-enabled unless their source
// table is temporary, their key is composite, or they are API queries (same page). Every page of the bcsync
// extension (bc-extension/) has a real source table keyed by SystemId - customerStatistics too, whose
// table the extension keeps up to date (docs/bc-custom-api.md) - so all of them notify;
// test/unit/bcExtension.contract.test.ts keeps this list in step with the AL source.

/** API v2.0 entity sets BC sends notifications for (the documented list). */
export const BC_V2_WEBHOOK_ENTITY_SETS: ReadonlySet<string> = new Set([
  'accounts',
  'companyInformation',
  'countriesRegions',
  'currencies',
  'customerPaymentJournals',
  'customers',
  'dimensions',
  'employees',
  'generalLedgerEntries',
  'itemCategories',
  'items',
  'journals',
  'paymentMethods',
  'paymentTerms',
  'purchaseInvoices',
  'salesCreditMemos',
  'salesInvoices',
  'salesOrders',
  'salesQuotes',
  'shipmentMethods',
  'unitsOfMeasure',
  'vendors',
]);

/** bcsync extension pages that BC cannot send notifications for (temporary source table): none. */
export const BCSYNC_PAGES_WITHOUT_WEBHOOKS: ReadonlySet<string> = new Set<string>();

export type BcApiRoute = 'v2.0' | 'custom';

export function bcWebhookSupported(route: BcApiRoute, entitySet: string): boolean {
  return route === 'v2.0'
    ? BC_V2_WEBHOOK_ENTITY_SETS.has(entitySet)
    : !BCSYNC_PAGES_WITHOUT_WEBHOOKS.has(entitySet);
}
