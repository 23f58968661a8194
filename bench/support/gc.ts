import v8 from 'node:v8';
import vm from 'node:vm';

/** A full GC, even without --expose-gc (the flag can be set at run time). */
export function forceGc(): void {
  const g = globalThis as { gc?: () => void };
  if (typeof g.gc === 'function') {
    g.gc();
    return;
  }
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
