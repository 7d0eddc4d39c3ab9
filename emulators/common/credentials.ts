// Default emulator credentials (emulator contract: credentials). The same environment variables apply to
// both emulators so a local run configures one integration app for BC and Dataverse alike.

export interface EmulatorCredentials {
  tenant: string;
  clientId: string;
  clientSecret: string;
}

export function defaultEmulatorCredentials(env: NodeJS.ProcessEnv = process.env): EmulatorCredentials {
  return {
    tenant: env.BCSYNC_EMULATOR_TENANT || 'bcsync-demo',
    clientId: env.BCSYNC_EMULATOR_CLIENT_ID || 'bcsync-demo-client',
    clientSecret: env.BCSYNC_EMULATOR_CLIENT_SECRET || 'bcsync-demo-secret',
  };
}
