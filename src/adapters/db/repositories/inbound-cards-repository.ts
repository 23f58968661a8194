import type { CardSnapshot } from '../../../app/inbound/inbound-crm.ts';
import type { InboundCardStore } from '../../../app/inbound/durable-cards.ts';
import type { Db } from '../connection.ts';

/** The `inbound_cards` rows: one JSON card per inbound call in progress. */
export class InboundCardsRepository implements InboundCardStore {
  constructor(private readonly db: Db) {}

  async load(linkedid: string): Promise<CardSnapshot | null> {
    const row = (await this.db('inbound_cards').select('card').where({ linkedid }).first()) as { card: string } | undefined;
    return row ? (JSON.parse(row.card) as CardSnapshot) : null;
  }

  async save(card: CardSnapshot, now: number): Promise<void> {
    await this.db('inbound_cards').insert({ linkedid: card.linkedid, card: JSON.stringify(card), updated_at: now }).onConflict('linkedid').merge();
  }

  async remove(linkedid: string): Promise<void> {
    await this.db('inbound_cards').where({ linkedid }).delete();
  }

  async purgeBefore(at: number): Promise<number> {
    return Number(await this.db('inbound_cards').where('updated_at', '<', at).delete());
  }
}
