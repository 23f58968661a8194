import type { CardSnapshot } from '../../../app/inbound/inbound-crm.ts';
import type { InboundCardStore } from '../../../app/inbound/durable-cards.ts';
import type { Db } from '../connection.ts';

/**
 * The `inbound_cards` rows: one JSON card per inbound call in progress. Plain SQL (the same on
 * SQLite and PostgreSQL): these run on every inbound step, where knex's query builder costs more
 * than the statement.
 */
export class InboundCardsRepository implements InboundCardStore {
  constructor(private readonly db: Db) {}

  async load(linkedid: string): Promise<CardSnapshot | null> {
    const rows = rowsOf(await this.db.raw('select card from inbound_cards where linkedid = ?', [linkedid]));
    const row = rows[0] as { card: string } | undefined;
    return row ? (JSON.parse(row.card) as CardSnapshot) : null;
  }

  async save(card: CardSnapshot, now: number): Promise<void> {
    await this.db.raw(
      'insert into inbound_cards (linkedid, card, updated_at) values (?, ?, ?) on conflict (linkedid) do update set card = excluded.card, updated_at = excluded.updated_at',
      [card.linkedid, JSON.stringify(card), now],
    );
  }

  async remove(linkedid: string): Promise<void> {
    await this.db.raw('delete from inbound_cards where linkedid = ?', [linkedid]);
  }

  async purgeBefore(at: number): Promise<number> {
    return Number(await this.db('inbound_cards').where('updated_at', '<', at).delete());
  }
}

/** `raw` answers an array of rows on SQLite and `{ rows }` on PostgreSQL. */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return ((result as { rows?: unknown[] }).rows) ?? [];
}
