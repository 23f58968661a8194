import { describe, expect, it } from 'vitest';
import { zonedDayStart } from '../../../src/adapters/http/console/context.ts';
import { html, Html } from '../../../src/adapters/http/console/html.ts';
import { scryptHasher } from '../../../src/adapters/security/password-hash.ts';
import { lineDiff } from '../../../src/core/text/line-diff.ts';

describe('lineDiff', () => {
  it('keeps common lines and marks what was removed and added', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toEqual([
      { op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: '+', text: 'B' }, { op: ' ', text: 'c' }, { op: '+', text: 'd' },
    ]);
    expect(lineDiff('', 'x')).toEqual([{ op: '+', text: 'x' }]);
    expect(lineDiff('same', 'same')).toEqual([{ op: ' ', text: 'same' }]);
  });

  it('past its size limit still shows the whole change, as remove-all then add-all', () => {
    expect(lineDiff('a\nb', 'a\nc', 1)).toEqual([{ op: '-', text: 'a' }, { op: '-', text: 'b' }, { op: '+', text: 'a' }, { op: '+', text: 'c' }]);
  });
});

describe('the console page template', () => {
  it('escapes every interpolated value, and only trusts markup built by the template itself', () => {
    const hostile = '<script>alert("x")</script>';
    const out = html`<td title="${hostile}">${hostile}${html`<b>${'&'}</b>`}${[1, null, false, 'a']}</td>`;
    expect(out).toBeInstanceOf(Html);
    expect(out.text).toBe('<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<b>&amp;</b>1a</td>');
  });
});

describe('zonedDayStart', () => {
  it('is local midnight of the date in the rules time zone', () => {
    expect(zonedDayStart('2026-12-04', 'Europe/Moscow')).toBe(Date.UTC(2026, 11, 3, 21));
    expect(zonedDayStart('2026-12-04', 'UTC')).toBe(Date.UTC(2026, 11, 4));
    expect(zonedDayStart('2026-12-04', 'Asia/Vladivostok')).toBe(Date.UTC(2026, 11, 3, 14));
  });

  it('refuses what is not a YYYY-MM-DD date', () => {
    expect(zonedDayStart('04.12.2026', 'UTC')).toBeNull();
    expect(zonedDayStart('', 'UTC')).toBeNull();
  });
});

describe('scrypt password hashes', () => {
  const hasher = scryptHasher({ N: 1024 });

  it('verifies the password, not another, with a fresh salt per hash', async () => {
    const a = await hasher.hash('correct horse battery');
    const b = await hasher.hash('correct horse battery');
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify(a, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(a, 'correct horse batterY')).toBe(false);
  });

  it('treats a hash it cannot read as a mismatch, not an error', async () => {
    expect(await hasher.verify('plain-text-password', 'plain-text-password')).toBe(false);
    expect(await hasher.verify('', '')).toBe(false);
  });
});
