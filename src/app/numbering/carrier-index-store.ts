import type { Db } from '../../adapters/db/connection.ts';
import { NumberingPlanRepository, type PlanVersion } from '../../adapters/db/repositories/numbering-plan-repository.ts';
import { PortedRepository, type PortedSnapshotMeta } from '../../adapters/db/repositories/ported-repository.ts';
import { UNKNOWN_CARRIER, type CarrierLookup } from '../../core/numbering/carrier.ts';
import { CarrierIndex } from '../../core/numbering/carrier-index.ts';
import type { CarrierMapping } from '../../core/numbering/carrier-mapping.ts';
import { PortedSet } from '../../core/numbering/ported-set.ts';

export interface CarrierIndexState {
  readonly plan: PlanVersion | null;
  readonly ported: PortedSnapshotMeta | null;
  readonly ranges: number;
  readonly portedNumbers: number;
  /** Epoch ms of the last successful reload. */
  readonly loadedAt: number | null;
}

export interface CarrierIndexStoreDeps {
  readonly db: Db;
  /** Re-read on every reload, so carriers.yaml edits take effect without re-import. */
  readonly loadMapping: () => CarrierMapping | Promise<CarrierMapping>;
  readonly now?: () => number;
  /** Only the plan ranges of these 3-digit codes (a one-off lookup needs its number's code only). */
  readonly codes?: readonly number[];
}

/**
 * Holds the in-memory carrier index. `reload()` builds a complete new index from the database
 * off to the side and swaps it in with one assignment: a reader always sees either the old
 * index or the new one, never a half-built one. Until the first reload, every lookup is unknown.
 */
export class CarrierIndexStore {
  private index: CarrierIndex | null = null;
  private info: CarrierIndexState = { plan: null, ported: null, ranges: 0, portedNumbers: 0, loadedAt: null };
  private reloading: Promise<CarrierIndexState> | null = null;
  private queued: Promise<CarrierIndexState> | null = null;

  constructor(private readonly deps: CarrierIndexStoreDeps) {}

  current(): CarrierLookup {
    return this.index ?? EMPTY_LOOKUP;
  }

  state(): CarrierIndexState {
    return this.info;
  }

  /**
   * Rebuilds from the database. A call made while a rebuild runs gets one more rebuild after it
   * (the running one may have read the database or carriers.yaml before the change that prompted
   * the call); further calls in the meantime share that one. On error the old index stays.
   */
  reload(): Promise<CarrierIndexState> {
    if (this.reloading) {
      this.queued ??= this.reloading.catch(() => undefined).then(() => {
        this.queued = null;
        return this.reload();
      });
      return this.queued;
    }
    this.reloading = this.rebuild().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async rebuild(): Promise<CarrierIndexState> {
    const mapping = await this.deps.loadMapping();
    const plan = await new NumberingPlanRepository(this.deps.db).loadActive(this.deps.codes);
    const { ported, stored } = await this.loadPorted();
    const next = CarrierIndex.build({ entries: plan?.entries ?? [], ranges: plan?.ranges ?? [], ported, mapping });
    // The swap: one assignment.
    this.index = next;
    this.info = {
      plan: plan?.version ?? null,
      ported: stored,
      ranges: next.rangeCount,
      portedNumbers: next.portedCount,
      loadedAt: (this.deps.now ?? Date.now)(),
    };
    return this.info;
  }

  /** The whole override set, or with `codes` only their slices of it. */
  private async loadPorted(): Promise<{ ported: PortedSet; stored: PortedSnapshotMeta | null }> {
    const repo = new PortedRepository(this.deps.db);
    if (this.deps.codes) {
      const reader = await repo.activeReader();
      if (!reader) return { ported: PortedSet.EMPTY, stored: null };
      return { ported: await PortedSet.decodeCodes(reader.read, reader.meta.bytes, this.deps.codes), stored: reader.meta };
    }
    const stored = await repo.loadActive();
    return stored ? { ported: PortedSet.decode(stored.bytes), stored: stored.meta } : { ported: PortedSet.EMPTY, stored: null };
  }
}

const EMPTY_LOOKUP: CarrierLookup = { lookup: () => UNKNOWN_CARRIER };
