// Default emulator credentials (emulator contract: credentials): published demo values. `bcsync emulate`
// and `npm start` pass the BCSYNC_EMULATOR_* settings instead when set (config/settings.ts), so a local run
// configures one integration app for BC and Dataverse alike.

export interface EmulatorCredentials {
  tenant: string;
  clientId: string;
  clientSecret: string;
}

export const DEFAULT_EMULATOR_CREDENTIALS: Readonly<EmulatorCredentials> = {
  tenant: 'bcsync-demo',
  clientId: 'bcsync-demo-client',
  clientSecret: 'bcsync-demo-secret',
};
