import { AmiRequestError } from './errors.ts';

/** The action's name (its `Action` header, any case), for messages and logs. */
export function actionName(fields: Record<string, unknown>): string {
  for (const [k, v] of Object.entries(fields)) if (k.toLowerCase() === 'action' && typeof v === 'string') return v;
  return '(no action)';
}

/**
 * Checks values (no CR/LF: they would inject headers) and maps repeated headers to the package's
 * object form (`Variable: a=1`, `Variable: b=2`). The ActionID is always the client's own.
 */
export function prepareFields(fields: Record<string, string | string[] | Record<string, string>>, name: string): Record<string, string | Record<string, string>> {
  const out: Record<string, string | Record<string, string>> = {};
  const check = (k: string, v: string): void => {
    if (/[\r\n]/.test(v) || /[\r\n:]/.test(k)) throw new AmiRequestError(`AMI action ${name}: header ${k.slice(0, 40)} contains a line break or colon`, name);
  };
  for (const [k, v] of Object.entries(fields)) {
    if (k.toLowerCase() === 'actionid') continue;
    if (typeof v === 'string') {
      check(k, v);
      out[k] = v;
    } else if (Array.isArray(v)) {
      const obj: Record<string, string> = {};
      for (const item of v) {
        const eq = item.indexOf('=');
        if (eq <= 0) throw new AmiRequestError(`AMI action ${name}: repeated header ${k} must be name=value pairs`, name);
        check(k, item);
        obj[item.slice(0, eq)] = item.slice(eq + 1);
      }
      out[k] = obj;
    } else {
      for (const [n, val] of Object.entries(v)) check(`${k} ${n}`, val);
      out[k] = v;
    }
  }
  return out;
}
