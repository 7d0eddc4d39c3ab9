// BC entity sets without webhooks (API v2.0 contacts) are polled on
// lastModifiedDateTime instead; the BC emulator refuses subscriptions for them as BC does ("Working with
// webhooks", list of supported entities:
// https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/dynamics-subscriptions).
import { BC_CUSTOM_ENTITIES, createConnectors, type Connectors } from '../../activities/connectors';
import { createLogger } from '../../activities/logger';
import { BcChangePoller } from '../../client/wakeups/bcChangePoller';
import { emulatorConnectorConfig } from '../../client/emulatorConnection';
import type { ChangeNotice } from '../../common/jobQueue';
import type { WakeRoutes } from '../../client/wakeups/wakeRoutes';
import { startBcEmulator, type RunningBcEmulator } from '../../emulators/bc';
import { startDataverseEmulator, type RunningDataverseEmulator } from '../../emulators/dataverse';

let bc: RunningBcEmulator;
let dataverse: RunningDataverseEmulator;
let connectors: Connectors;

beforeAll(async () => {
  bc = await startBcEmulator({ port: 0, seed: 'demo', webhookCoalesceMs: 0 });
  dataverse = await startDataverseEmulator({ port: 0, seed: 'empty' });
  // CONTACT read through API v2.0 (a mapping with bc.api 'v2.0'): contacts on the standard route.
  connectors = createConnectors(emulatorConnectorConfig({ bc, dataverse }), {
    bcCustomEntities: BC_CUSTOM_ENTITIES.filter((s) => s !== 'contacts'),
  });
});
afterAll(async () => {
  await bc?.stop();
  await dataverse?.stop();
});

test('the connector knows which entity sets have webhooks; the emulator refuses the others', async () => {
  expect(connectors.bcWebhooks.supports('customers')).toBe(true);
  expect(connectors.bcWebhooks.supports('contacts')).toBe(false);
  expect(connectors.bcWebhooks.supports('salespeoplePurchasers')).toBe(false);
  expect(connectors.bcWebhooks.supports('resources')).toBe(true);
  // The extension's statistics page reads a real table (docs/bc-custom-api.md), so BC can notify for it.
  expect(connectors.bcWebhooks.supports('customerStatistics')).toBe(true);
  const refused = connectors.bcWebhooks.create({
    entity: 'contacts',
    notificationUrl: 'http://127.0.0.1:9/never-called',
    clientState: 'x',
  });
  await expect(refused).rejects.toThrow(/not webhook-enabled/);
});

test('a change to a set without webhooks wakes its entries at the next poll, once', async () => {
  const sent: Array<{ entry: string; notice: ChangeNotice }> = [];
  const routes: WakeRoutes = {
    entries: [],
    bcEntitySets: () => ['contacts', 'customers'],
    entriesForBc: (set) => (set === 'contacts' ? ['CONTACT'] : ['CUSTOMER']),
    crmRoutes: () => [],
  };
  const poller = new BcChangePoller({
    bc: connectors.bc,
    signaller: {
      send: (entry, _source, notice) => {
        sent.push({ entry, notice });
        return Promise.resolve('sent');
      },
    },
    routes: () => routes,
    hasWebhooks: (s) => connectors.bcWebhooks.supports(s),
    intervalSeconds: 0,
    logger: createLogger('bc-poller-test', 'error'),
  });
  expect(poller.polledEntitySets()).toEqual(['contacts']);
  expect((await poller.pollOnce()).map((p) => p.kind)).toEqual(['baseline']);
  expect((await poller.pollOnce()).map((p) => p.kind)).toEqual(['none']);

  const contact = await connectors.bc.create('contacts', { displayName: 'Polled Person', type: 'Person' });
  const changed = await poller.pollOnce();
  expect(changed).toEqual([{ entitySet: 'contacts', kind: 'changes', signalled: ['CONTACT'] }]);
  expect(sent).toEqual([
    {
      entry: 'CONTACT',
      notice: { resource: `contacts(${String(contact.id)})`, at: contact.lastModifiedDateTime },
    },
  ]);
  expect((await poller.pollOnce()).map((p) => p.kind)).toEqual(['none']);
});
