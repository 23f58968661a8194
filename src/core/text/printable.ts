/**
 * Values from outside (a CRM event, a registry file, a PBX reply) may carry terminal controls:
 * C0 (ESC starts the sequences that clear a screen or retitle a window), DEL, C1 (U+0080–U+009F,
 * CSI among them) and the Unicode line separators and bidi overrides that reorder what is shown.
 * They are written as `\uXXXX`: readable, and still valid inside a JSON string.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
// The same set without LF and TAB: whole texts keep their lines and columns.
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One value (a number, a name): every control character escaped, line breaks included. */
export function escapeControls(value: string): string {
  // Almost every value is clean: one scan, no copy.
  return CONTROL.test(value) ? value.replace(CONTROLS, escapeOne) : value;
}

/** A whole text about to be printed: controls escaped, but its own line breaks and tabs kept. */
export function terminalSafe(text: string): string {
  CONTROLS_BUT_LAYOUT.lastIndex = 0;
  return CONTROLS_BUT_LAYOUT.test(text) ? text.replace(CONTROLS_BUT_LAYOUT, escapeOne) : text;
}

/** At most `max` characters of `value`, escaped, saying how long it really was when cut. */
export function quoteBounded(value: string, max = 40): string {
  const cut = value.length > max;
  const shown = escapeControls(cut ? value.slice(0, max) : value);
  return cut ? `"${shown}…" (${value.length} characters)` : `"${shown}"`;
}
