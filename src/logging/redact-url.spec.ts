import { isSecretParameter, redactQuery, redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    [
      '/socket.io/?EIO=3&transport=polling&token=abc.def.ghi',
      '/socket.io/?EIO=3&transport=polling&token=[Redacted]',
    ],
    ['/x?access_token=s1&since=42', '/x?access_token=[Redacted]&since=42'],
    [
      '/x?TOKEN=s&Authorization=Bearer%20s&password=p&apiKey=k&x-api-key=k',
      '/x?TOKEN=[Redacted]&Authorization=[Redacted]&password=[Redacted]&apiKey=[Redacted]&x-api-key=[Redacted]',
    ],
    [
      '/x?client_secret=s&auth=a&key=k#frag',
      '/x?client_secret=[Redacted]&auth=[Redacted]&key=[Redacted]#frag',
    ],
    ['/x?to%6Ben=s&a=1', '/x?to%6Ben=[Redacted]&a=1'],
    ['/x?token&a=1', '/x?token&a=1'],
    ['/x?%E0%A4%A=1&token=s', '/x?%E0%A4%A=1&token=[Redacted]'],
    ['/admin/users/1', '/admin/users/1'],
    ['/health?userId=3&limit=5', '/health?userId=3&limit=5'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('leaves names that are not secrets', () => {
    for (const name of ['since', 'userId', 'limit', 'EIO', 'transport', 't', 'beforeId']) {
      expect([name, isSecretParameter(name)]).toEqual([name, false]);
    }
  });

  it('redacts a parsed query without changing it', () => {
    const query = { token: 'secret', since: '4' };
    expect(redactQuery(query)).toEqual({ token: '[Redacted]', since: '4' });
    expect(query.token).toBe('secret');
  });
});
