import { describe, expect, it } from 'vitest';
import { assertSafeEndpoint } from '../../../src/adapters/bitrix24/client.ts';

describe('which portal endpoints are accepted (B24_ALLOW_HTTP_LOOPBACK)', () => {
  it('accepts https:// on a real host, with or without the setting', () => {
    for (const allow of [false, true]) expect(assertSafeEndpoint('https://portal.bitrix24.ru/rest/', 'e', allow).host).toBe('portal.bitrix24.ru');
  });

  it('off (the default): refuses http:// anywhere and loopback hosts even over https, naming the setting', () => {
    expect(() => assertSafeEndpoint('http://portal.bitrix24.ru/rest/', 'auth[client_endpoint]', false)).toThrow('auth[client_endpoint] must be https://');
    for (const url of ['http://127.0.0.1:8080/rest/', 'https://localhost/rest/', 'http://[::1]:81/rest/']) {
      expect(() => assertSafeEndpoint(url, 'e', false)).toThrow('B24_ALLOW_HTTP_LOOPBACK=1');
    }
  });

  it('on: loopback over http or https is accepted; http:// to any other host still is not', () => {
    expect(assertSafeEndpoint('http://127.0.0.1:8080/rest/', 'e', true).port).toBe('8080');
    expect(assertSafeEndpoint('https://localhost/rest/', 'e', true).hostname).toBe('localhost');
    expect(() => assertSafeEndpoint('http://10.0.0.5/rest/', 'e', true)).toThrow('must be https://');
    expect(() => assertSafeEndpoint('ftp://127.0.0.1/rest/', 'e', true)).toThrow();
    expect(() => assertSafeEndpoint('not a url', 'e', true)).toThrow('e is not a URL');
  });
});
