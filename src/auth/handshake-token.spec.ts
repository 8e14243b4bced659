import { tokenFromHandshake } from './handshake-token.js';
import { TokenRefusedError } from './token-refusal.js';

type Handshake = Parameters<typeof tokenFromHandshake>[0];
const handshake = (parts: Partial<Handshake>): Handshake => ({
  auth: {},
  query: {},
  headers: {},
  ...parts,
});

describe('tokenFromHandshake', () => {
  it.each<[string, Partial<Handshake>, string | undefined]>([
    ['nothing', {}, undefined],
    ['auth.token (v4 clients)', { auth: { token: 'a.b.c' } }, 'a.b.c'],
    ['the token query parameter (v2 clients)', { query: { token: 'a.b.c' } }, 'a.b.c'],
    ['a Bearer header', { headers: { authorization: 'Bearer a.b.c' } }, 'a.b.c'],
    ['a bearer header in any case', { headers: { authorization: 'bearer   a.b.c ' } }, 'a.b.c'],
    ['the same token in several places', { auth: { token: 't' }, query: { token: 't' } }, 't'],
    ['null auth.token as none', { auth: { token: null } }, undefined],
    ['an empty auth.token as none', { auth: { token: '' } }, undefined],
    ['an empty query token as none', { query: { token: '' } }, undefined],
    ['"Bearer" alone as none', { headers: { authorization: 'Bearer' } }, undefined],
    [
      'another Authorization scheme as none',
      { headers: { authorization: 'Basic dTpw' } },
      undefined,
    ],
    ['other query parameters as none', { query: { EIO: '4', transport: 'polling' } }, undefined],
  ])('reads %s', (_case, parts, expected) => {
    expect(tokenFromHandshake(handshake(parts))).toBe(expected);
  });

  it.each<[string, Partial<Handshake>, RegExp]>([
    ['auth.token that is not a string', { auth: { token: 42 } }, /auth.token must be a string/],
    ['auth.token that is an object', { auth: { token: { sub: '1' } } }, /must be a string/],
    ['a repeated query parameter', { query: { token: ['a', 'b'] } }, /more than once/],
    [
      'different tokens in two places',
      { auth: { token: 'one' }, headers: { authorization: 'Bearer two' } },
      /different tokens/,
    ],
  ])('refuses %s as an invalid token', (_case, parts, message) => {
    let error: unknown;
    try {
      tokenFromHandshake(handshake(parts));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect((error as TokenRefusedError).reason).toBe('auth_invalid');
    expect((error as TokenRefusedError).message).toMatch(message);
  });
});
