import { AjaxError, SdkError, type AjaxResult, type TypeB24 } from '@bitrix24/b24jssdk';
import { restFailure, type RestFailure } from './errors.ts';

export type RestOutcome =
  | { readonly ok: true; readonly result: unknown; readonly more: boolean; readonly total: number }
  | { readonly ok: false; readonly error: RestFailure };

export interface BatchCommand {
  readonly key: string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export type BatchOutcome =
  | { readonly ok: true; readonly results: ReadonlyMap<string, RestOutcome> }
  | { readonly ok: false; readonly error: RestFailure };

/** Every REST call the connector makes goes through this port (the SDK behind it, or a fake in unit tests). */
export interface B24Gateway {
  call(method: string, params?: Readonly<Record<string, unknown>>): Promise<RestOutcome>;
  /** At most 50 commands, never halting on the first error (each command succeeds or fails on its own). */
  batch(commands: readonly BatchCommand[]): Promise<BatchOutcome>;
}

export const MAX_BATCH_COMMANDS = 50;

/** Converts whatever the SDK threw into a RestFailure, without ever touching `originalError`. */
export function failureFromError(err: unknown): RestFailure {
  if (err instanceof AjaxError) return restFailure(String(err.code), err.message, Number(err.status) || 0);
  if (err instanceof SdkError) return restFailure(String(err.code), err.message, Number(err.status) || 0);
  if (err instanceof Error) return restFailure('JSSDK_UNKNOWN_ERROR', err.message, 0);
  return restFailure('JSSDK_UNKNOWN_ERROR', String(err), 0);
}

function outcomeFromAjax(res: AjaxResult): RestOutcome {
  if (res.isSuccess) {
    const data = res.getData();
    return { ok: true, result: data?.result ?? null, more: res.isMore(), total: res.getTotal() };
  }
  const first = res.getErrors().next().value as Error | undefined;
  if (first instanceof AjaxError) return { ok: false, error: restFailure(String(first.code), first.message, Number(first.status) || res.getStatus() || 0) };
  return { ok: false, error: restFailure('JSSDK_RESPONSE_ERROR', res.getErrorMessages().join('; ') || 'unknown error', res.getStatus() || 0) };
}

/** The gateway over @bitrix24/b24jssdk (B24OAuth or B24Hook), REST API v2. */
export class SdkGateway implements B24Gateway {
  constructor(private readonly b24: TypeB24) {}

  async call(method: string, params: Readonly<Record<string, unknown>> = {}): Promise<RestOutcome> {
    try {
      const res = await this.b24.actions.v2.call.make({ method, params: { ...params } });
      return outcomeFromAjax(res as AjaxResult);
    } catch (err) {
      return { ok: false, error: failureFromError(err) };
    }
  }

  async batch(commands: readonly BatchCommand[]): Promise<BatchOutcome> {
    if (commands.length === 0) return { ok: true, results: new Map() };
    if (commands.length > MAX_BATCH_COMMANDS) throw new RangeError(`a batch holds at most ${MAX_BATCH_COMMANDS} commands, got ${commands.length}`);
    const calls: Record<string, { method: string; params: Record<string, unknown> }> = {};
    for (const c of commands) calls[c.key] = { method: c.method, params: { ...c.params } };
    try {
      const res = await this.b24.actions.v2.batch.make({ calls, options: { isHaltOnError: false, returnAjaxResult: true } });
      const data = (res.getData() ?? {}) as Record<string, AjaxResult>;
      const results = new Map<string, RestOutcome>();
      let any = false;
      for (const c of commands) {
        const item = data[c.key];
        if (item) {
          any = true;
          results.set(c.key, outcomeFromAjax(item));
        } else {
          results.set(c.key, { ok: false, error: restFailure('BATCH_NO_RESULT', `batch returned nothing for ${c.method}`, 0) });
        }
      }
      if (!any && !res.isSuccess) {
        return { ok: false, error: restFailure('BATCH_FAILED', res.getErrorMessages().join('; ') || 'batch failed', 0) };
      }
      return { ok: true, results };
    } catch (err) {
      return { ok: false, error: failureFromError(err) };
    }
  }
}
