// The one masking function (common/secretMasking.ts): every secret a URI can carry is masked, in a bare
// URI and inside messages, and nothing else of the URI is lost (a person still sees which server).
import { maskSecrets } from '../../common/secretMasking';
import { createLogger } from '../../activities/logger';

test('the password of the user info is masked, the user name and hosts stay', () => {
  expect(maskSecrets('mongodb://admin:s3cret@db.example:27017/bcsync')).toBe(
    'mongodb://admin:***@db.example:27017/bcsync',
  );
  // An unescaped `@` in the password does not leave its tail behind; several hosts are kept.
  expect(maskSecrets('mongodb://admin:p@ss@h1:27017,h2:27017/?replicaSet=rs0')).toBe(
    'mongodb://admin:***@h1:27017,h2:27017/?replicaSet=rs0',
  );
  expect(maskSecrets('mongodb+srv://u:pw%40x@cluster0.example.net/')).toBe(
    'mongodb+srv://u:***@cluster0.example.net/',
  );
  // A user without a password (X.509) has nothing secret in its user info.
  expect(maskSecrets('mongodb://CN=bcsync@db.example/?authMechanism=MONGODB-X509')).toBe(
    'mongodb://CN=bcsync@db.example/?authMechanism=MONGODB-X509',
  );
});

test('sensitive query parameters are masked, the other options stay', () => {
  expect(
    maskSecrets(
      'mongodb://db.example/?tls=true&tlsCertificateKeyFile=/etc/bcsync/client.pem&tlsCertificateKeyFilePassword=k3y-pass&appName=bcsync',
    ),
  ).toBe(
    'mongodb://db.example/?tls=true&tlsCertificateKeyFile=/etc/bcsync/client.pem&tlsCertificateKeyFilePassword=***&appName=bcsync',
  );
  expect(
    maskSecrets(
      'mongodb://AKIAEXAMPLE:aws-secret@db.example/?authMechanism=MONGODB-AWS&authMechanismProperties=SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:FwoGZXIvYXdzE',
    ),
  ).toBe(
    'mongodb://AKIAEXAMPLE:***@db.example/?authMechanism=MONGODB-AWS&authMechanismProperties=SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:***',
  );
  // URL-encoded property lists too.
  expect(
    maskSecrets('mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN%3AFwoGZX%2CSERVICE_NAME%3Amongodb'),
  ).toBe('mongodb://h/?authMechanismProperties=AWS_SESSION_TOKEN%3A***%2CSERVICE_NAME%3Amongodb');
  expect(
    maskSecrets('https://acct.blob.core.windows.net/c/b?sv=2024-11-04&se=2026-12-02&sp=r&sig=AbC%2Bdef%3D'),
  ).toBe('https://acct.blob.core.windows.net/c/b?sv=2024-11-04&se=2026-12-02&sp=r&sig=***');
  for (const key of [
    'password',
    'secret',
    'token',
    'access_token',
    'client_secret',
    'apiKey',
    'X-Amz-Signature',
  ])
    expect(maskSecrets(`https://h/p?a=1&${key}=VALUE&b=2`)).toBe(`https://h/p?a=1&${key}=***&b=2`);
});

test('secrets are masked inside messages and form bodies; bearer tokens too; masking twice changes nothing', () => {
  const message =
    'cannot connect to MongoDB at mongodb://bcsync:hunter22@db:27017/?tlsCertificateKeyFilePassword=k3y connect ECONNREFUSED';
  const masked = maskSecrets(message);
  expect(masked).toBe(
    'cannot connect to MongoDB at mongodb://bcsync:***@db:27017/?tlsCertificateKeyFilePassword=*** connect ECONNREFUSED',
  );
  expect(maskSecrets(masked)).toBe(masked);
  expect(maskSecrets('grant_type=client_credentials&client_secret=abc&x=1')).toBe(
    'grant_type=client_credentials&client_secret=***&x=1',
  );
  expect(maskSecrets('Authorization: Bearer eyJabc.def.ghi')).toBe('Authorization: Bearer ***');
  // Ordinary text is left alone.
  expect(maskSecrets('keyword=on; monkey=1; tlsCertificateKeyFile=/a.pem')).toBe(
    'keyword=on; monkey=1; tlsCertificateKeyFile=/a.pem',
  );
});

test('the logger masks URIs in its messages and fields', () => {
  const lines: string[] = [];
  const logger = createLogger('test', 'info', { write: (line: string) => void lines.push(line) });
  const uri = 'mongodb://bcsync:hunter22@db:27017/?tlsCertificateKeyFilePassword=k3y-pass';
  logger.warn({ uri, err: new Error(`cannot reach ${uri}`) }, `connecting to ${uri}`);
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toContain('hunter22');
  expect(lines[0]).not.toContain('k3y-pass');
  expect(JSON.parse(lines[0]!)).toMatchObject({
    msg: 'connecting to mongodb://bcsync:***@db:27017/?tlsCertificateKeyFilePassword=***',
    uri: 'mongodb://bcsync:***@db:27017/?tlsCertificateKeyFilePassword=***',
  });
});
