/**
 * Query parameters whose values never reach the logs (README "Operations /
 * Logs"): the handshake token of v2 clients (`token`), OAuth-style names
 * (`access_token`, `id_token`, `client_secret`, `code`), Engine.IO's session
 * id (`sid`, which lets its holder poll the session), and any name that ends
 * in one of these words once case and punctuation are dropped (`apiKey`,
 * `x-api-key`, `refresh_token`). Over-matching (`monkey`) costs nothing.
 */
const SECRET_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'key',
  'auth',
  'authorization',
  'signature',
  'sig',
  'credential',
  'credentials',
  'session',
  'sid',
  'jwt',
  'code',
];

export function isSecretParameter(name: string): boolean {
  const plain = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_SUFFIXES.some((suffix) => plain.endsWith(suffix));
}

const REDACTED = '[Redacted]';

/**
 * A URL (path and query, or absolute) with the values of secret query
 * parameters replaced by [Redacted]; everything else is left as it came.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const start = url.indexOf('?');
  if (start < 0) return url;
  const hashAt = url.indexOf('#', start);
  const query = url.slice(start + 1, hashAt < 0 ? undefined : hashAt);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: judge the name as written
      }
      return eq >= 0 && isSecretParameter(name) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, start)}?${redacted}${hashAt < 0 ? '' : url.slice(hashAt)}`;
}

/** A parsed query object (Express's req.query) with secret values replaced. */
export function redactQuery(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    copy[name] = isSecretParameter(name) ? REDACTED : value;
  }
  return copy;
}
