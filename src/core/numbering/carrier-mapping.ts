import { normaliseOperatorName } from './operator-name.ts';

/** One carrier of rules/carriers.yaml. */
export interface CarrierDefinition {
  /** Human name for summaries (`МегаФон`). */
  readonly name?: string;
  /** INNs of the legal entities that hold this carrier's ranges: matched first. */
  readonly inn?: readonly string[];
  /** Regular expressions over the normalised operator name, for files without an INN column. */
  readonly names?: readonly string[];
}

/** The parsed content of rules/carriers.yaml. */
export interface CarriersConfig {
  readonly carriers: Readonly<Record<string, CarrierDefinition>>;
  /** Carrier key → carrier key of the gateway that is on-net for it (virtual operators). */
  readonly onNet?: Readonly<Record<string, string>>;
  /** БДПН owner ids (`mMTS`) → carrier key. */
  readonly portedOwners?: Readonly<Record<string, string>>;
}

export class CarriersConfigError extends Error {}

interface NamePattern {
  readonly key: string;
  readonly re: RegExp;
}

/**
 * Maps registry operators and БДПН owner ids to carrier keys. Built from carriers.yaml; applied
 * when the lookup index is built, so editing the file and reloading re-maps without re-import.
 */
export class CarrierMapping {
  private readonly byInn = new Map<string, string>();
  private readonly patterns: NamePattern[] = [];
  private readonly onNet = new Map<string, string>();
  private readonly owners = new Map<string, string>();
  private readonly cache = new Map<string, string | null>();
  readonly keys: ReadonlySet<string>;

  constructor(readonly config: CarriersConfig) {
    const keys = new Set(Object.keys(config.carriers));
    this.keys = keys;
    for (const [key, def] of Object.entries(config.carriers)) {
      for (const inn of def.inn ?? []) {
        const other = this.byInn.get(inn);
        if (other !== undefined && other !== key) throw new CarriersConfigError(`carriers.yaml: INN ${inn} is listed under both "${other}" and "${key}"`);
        this.byInn.set(inn, key);
      }
      for (const source of def.names ?? []) {
        let re: RegExp;
        try {
          re = new RegExp(`^(?:${source})$`, 'iu');
        } catch (err) {
          throw new CarriersConfigError(`carriers.yaml: carriers.${key}.names: invalid regular expression /${source}/: ${(err as Error).message}`);
        }
        this.patterns.push({ key, re });
      }
    }
    for (const [from, to] of Object.entries(config.onNet ?? {})) {
      if (!keys.has(from)) throw new CarriersConfigError(`carriers.yaml: onNet.${from}: "${from}" is not a carrier defined under carriers:`);
      if (!keys.has(to)) throw new CarriersConfigError(`carriers.yaml: onNet.${from}: "${to}" is not a carrier defined under carriers:`);
      this.onNet.set(from, to);
    }
    for (const [owner, key] of Object.entries(config.portedOwners ?? {})) {
      if (!keys.has(key)) throw new CarriersConfigError(`carriers.yaml: portedOwners.${owner}: "${key}" is not a carrier defined under carriers:`);
      this.owners.set(owner.toUpperCase(), key);
    }
  }

  /** Carrier key of a registry operator: by INN first, then by name pattern; null when unmapped. */
  carrierOf(operator: string, inn: string | null): string | null {
    if (inn !== null) {
      const byInn = this.byInn.get(inn);
      if (byInn !== undefined) return byInn;
    }
    return this.byName(operator);
  }

  /** Carrier key of a БДПН owner id (`mMTS`), a carrier key itself (plain CSV) or an operator name (old feeds). */
  carrierOfOwner(owner: string): string | null {
    const trimmed = owner.trim();
    const mapped = this.owners.get(trimmed.toUpperCase());
    if (mapped !== undefined) return mapped;
    if (this.keys.has(trimmed)) return trimmed;
    const lower = trimmed.toLowerCase();
    if (this.keys.has(lower)) return lower;
    return this.byName(trimmed);
  }

  /** The gateway carrier that is on-net for `key` (itself unless carriers.yaml says otherwise). */
  onNetOf(key: string | null): string | null {
    if (key === null) return null;
    return this.onNet.get(key) ?? key;
  }

  displayName(key: string): string {
    return this.config.carriers[key]?.name ?? key;
  }

  private byName(operator: string): string | null {
    const cached = this.cache.get(operator);
    if (cached !== undefined) return cached;
    const normalised = normaliseOperatorName(operator);
    const hit = this.patterns.find((p) => p.re.test(normalised));
    const key = hit ? hit.key : null;
    this.cache.set(operator, key);
    return key;
  }
}
