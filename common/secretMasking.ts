// The one place that masks secrets in text bcsync prints or logs: connection strings (MongoDB URIs,
// service URLs) and messages that quote them. A URI carries secrets in two places: the password of its
// user info (`mongodb://user:password@host`) and query parameters such as
// `tlsCertificateKeyFilePassword`, the `AWS_SESSION_TOKEN` inside `authMechanismProperties`, or an
// Azure SAS `sig`. Both are masked wherever they appear in the text; everything else (user name, hosts,
// other options) stays, because that is what a person needs to see which server was meant.
// Used by the CLI's output and errors, the MongoDB connection errors, API errors and the logger.

export const MASK = '***';

// `scheme://user:password@`: the password may hold anything but a path, query or fragment start (an
// unescaped `@` included, so the match runs to the last `@` of the authority).
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#]*@/gi;

// `key=value` in a query string, a form body or a message: the key is a word after a separator.
const PARAMETER = /(^|[?&;,\s"'(])([A-Za-z0-9_.-]+)=([^&;\s#"'<>]*)/g;

// Keys whose values are secrets, whole or by ending (tlsCertificateKeyFilePassword, client_secret,
// access_token, X-Amz-Security-Token, X-Amz-Signature, X-Amz-Credential, apiKey, ...).
const SECRET_KEY =
  /^(?:key|sig|pwd|passwd|.*password|.*secret|.*token|.*signature|.*credential|.*api[-_]?key|.*access[-_]?key|.*private[-_]?key)$/i;

// `authMechanismProperties=SERVICE_NAME:x,AWS_SESSION_TOKEN:y` (MongoDB): a list of `KEY:value`
// pairs, maybe URL-encoded (`%3A`, `%2C`); only the secret ones are masked.
const PROPERTY_LIST_KEY = /^authMechanismProperties$/i;
const PROPERTY = /(^|,|%2C)([A-Za-z0-9_]+)(:|%3A)((?:(?!,|%2C).)*)/gi;

const BEARER = /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi;

function maskProperties(list: string): string {
  return list.replace(PROPERTY, (whole, sep: string, key: string, colon: string) =>
    SECRET_KEY.test(key) ? `${sep}${key}${colon}${MASK}` : whole,
  );
}

/**
 * `text` with every secret of a URI masked: the user info's password and the values of sensitive query
 * parameters, plus bearer tokens. Safe on any text: a bare URI, an error message or a log line.
 */
export function maskSecrets(text: string): string {
  return text
    .replace(USER_INFO, `$1:${MASK}@`)
    .replace(PARAMETER, (whole, sep: string, key: string, value: string) => {
      if (value === '' || value === MASK) return whole;
      if (PROPERTY_LIST_KEY.test(key)) return `${sep}${key}=${maskProperties(value)}`;
      return SECRET_KEY.test(key) ? `${sep}${key}=${MASK}` : whole;
    })
    .replace(BEARER, `Bearer ${MASK}`);
}
