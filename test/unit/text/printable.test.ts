import { describe, expect, it } from 'vitest';
import { numberAsReceived } from '../../../src/core/phone/as-received.ts';
import { escapeControls, quoteBounded, terminalSafe } from '../../../src/core/text/printable.ts';

describe('values from outside are made printable', () => {
  it.each([
    ['ESC sequences (clear screen, window title)', '\u001b[2J\u001b]0;owned\u0007', '\\u001b[2J\\u001b]0;owned\\u0007'],
    ['DEL and C1 (CSI)', 'a\u007fb\u009b31m', 'a\\u007fb\\u009b31m'],
    ['line breaks and tabs inside one value', 'Ivan\nroot\t0', 'Ivan\\u000aroot\\u00090'],
    ['bidi overrides and line separators', 'abc\u202edcba\u2028', 'abc\\u202edcba\\u2028'],
    ['plain text, Cyrillic and quotes untouched', 'ПАО "МегаФон" «ТМТ» +7 (926) 123-45-67', 'ПАО "МегаФон" «ТМТ» +7 (926) 123-45-67'],
  ])('escapeControls: %s', (_what, input, expected) => {
    expect(escapeControls(input)).toBe(expected);
    // Escaping what is escaped changes nothing: stored values can be printed through it again.
    expect(escapeControls(expected)).toBe(expected);
  });

  it('terminalSafe keeps a text’s own lines and tabs, escapes every other control, and stays valid JSON', () => {
    expect(terminalSafe('a\tb\nc\u001b[31m\rd\u009b\n')).toBe('a\tb\nc\\u001b[31m\\u000dd\\u009b\n');
    const json = JSON.stringify({ name: 'x\u007f\u0085\u009by\u202e' });
    expect(JSON.parse(terminalSafe(json))).toEqual({ name: 'x\\u007f\\u0085\\u009by\\u202e'.replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) });
    expect(terminalSafe(json)).not.toMatch(/[\u007f-\u009f\u202e]/);
  });

  it('quoteBounded quotes a short value whole and a long one cut, with its length', () => {
    expect(quoteBounded('12ab')).toBe('"12ab"');
    expect(quoteBounded('9'.repeat(1000))).toBe(`"${'9'.repeat(40)}…" (1000 characters)`);
    expect(quoteBounded('\u001b[2J')).toBe('"\\u001b[2J"');
  });

  it('numberAsReceived keeps a real number as typed, and bounds and escapes anything else', () => {
    expect(numberAsReceived(' 8 (926) 123-45-67 ')).toBe('8 (926) 123-45-67');
    expect(numberAsReceived('7'.repeat(1000))).toBe(`${'7'.repeat(63)}…`);
    expect(numberAsReceived('+7926\u001b[2J1234567')).toBe('+7926\\u001b[2J1234567');
  });
});
