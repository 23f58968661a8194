import type { ClickIntake, NewClick, StoredClick } from '../../app/crm/ports.ts';
import { silentLogger, type Logger } from '../logging/logger.ts';
import { CLICK_CONNECTIONS, clickConnections } from './click-connections.ts';
import { isSqlite, type Db } from './connection.ts';
import { GroupCommit } from './group-commit.ts';
import { urgently } from './priority-lane.ts';
import { CallsRepository } from './repositories/calls-repository.ts';
import { CrmEventsRepository, type TakenKey } from './repositories/crm-events-repository.ts';

/** The columns a new event and a new call are written with (the rows' keys, in one fixed order). */
const EVENT_COLUMNS = ['event', 'event_key', 'data', 'ts', 'state', 'attempts', 'received_at'] as const;
const CALL_COLUMNS = [
  'id', 'crm_call_id', 'channel_id', 'linkedid', 'originate_action_id', 'origin', 'user_id', 'extension', 'number', 'number_e164', 'line',
  'state', 'plan', 'refusal_code', 'refusal_message', 'started_at', 'crm_handoff', 'updated_at',
] as const;

const list = (columns: readonly string[], prefix = '') => columns.map((c) => `${prefix}"${c}"`).join(', ');

/**
 * PostgreSQL: a batch of clicks in ONE statement, so one round trip and one commit (autocommit is
 * atomic per statement), on the click path's own connections (clickConnections). The inputs
 * travel as two JSON arrays typed by the tables' own row types; a call is inserted only if its
 * event was (a repeated delivery inserts nothing), and a call refused by the database fails the
 * statement, so no event is stored without its call. Events are inserted in key order: two
 * batches in flight that share a repeated key then wait for each other in one order and never
 * deadlock.
 */
const PG_BATCH = `
WITH new_events AS (
  INSERT INTO crm_events (${list(EVENT_COLUMNS)})
  SELECT ${list(EVENT_COLUMNS, 'e.')} FROM json_populate_recordset(NULL::crm_events, $1::json) AS e
  ORDER BY e.event, e.event_key
  ON CONFLICT (event, event_key) DO NOTHING
  RETURNING id, event, event_key
), new_calls AS (
  INSERT INTO calls (${list(CALL_COLUMNS)})
  SELECT ${list(CALL_COLUMNS, 'c.')}
  FROM json_populate_recordset(NULL::calls, $2::json) AS c
  JOIN json_to_recordset($3::json) AS l(id text, event text, event_key text) ON l.id = c.id
  JOIN new_events AS e ON e.event = l.event AND e.event_key = l.event_key
  ON CONFLICT DO NOTHING
  RETURNING id
)
SELECT (SELECT COALESCE(json_agg(new_events), '[]') FROM new_events) AS events,
       (SELECT COALESCE(json_agg(new_calls.id), '[]') FROM new_calls) AS calls`;

/**
 * A click's event and call stored atomically before its Originate, on SQLite and PostgreSQL alike.
 * Clicks arriving while a batch commits share the next commit (group commit). On PostgreSQL the
 * batch is one statement; on SQLite one transaction of two inserts on its one connection, ahead
 * of other writes (`urgently`). If one click's writes fail, each click of the batch is stored
 * again on its own, so only its asker sees the error.
 */
export function clickIntake(db: Db, logger: Logger = silentLogger, now: () => number = Date.now): ClickIntake {
  const calls = new CallsRepository(db, now);
  const lane = () => clickConnections(db);
  // One connection opened now: the first click does not wait for a connect.
  if (!isSqlite(db)) void lane().connect().then((c) => c.release(), () => undefined);

  const sqliteBatch = (clicks: readonly NewClick[]): Promise<StoredClick[]> => urgently(() => db.transaction(async (trx) => {
    const events = await CrmEventsRepository.insertTaken(trx, clicks);
    const toInsert = clicks.flatMap((c, i) => (events[i] !== null && c.call !== null ? [c.call] : []));
    const created = new Set<string>();
    const inserted = toInsert.length > 0 ? await calls.insertIn(trx, toInsert) : [];
    toInsert.forEach((c, i) => inserted[i] && created.add(c.id));
    return clicks.map((c, i) => ({ event: events[i] ?? null, callCreated: c.call !== null && created.has(c.call.id) }));
  }));

  const pgBatch = async (clicks: readonly NewClick[]): Promise<StoredClick[]> => {
    // A key repeated within the batch: its first click is the one stored (as on SQLite).
    const seen = new Set<string>();
    const firsts = clicks.map((c) => {
      const key = `${c.event.event}\n${c.event.eventKey}`;
      const first = !seen.has(key);
      seen.add(key);
      return first;
    });
    const withCall = clicks.filter((c, i) => firsts[i] && c.call !== null);
    // A named statement: each connection parses and plans it once, not once per batch.
    const result = await lane().query<{ events: TakenKey[]; calls: string[] }>({ name: 'click-batch', text: PG_BATCH, values: [
      JSON.stringify(clicks.map(CrmEventsRepository.takenRow)),
      JSON.stringify(withCall.map((c) => calls.callRow(c.call!))),
      JSON.stringify(withCall.map((c) => ({ id: c.call!.id, event: c.event.event, event_key: c.event.eventKey }))),
    ] });
    const row = result.rows[0] ?? { events: [], calls: [] };
    const events = CrmEventsRepository.matchTaken(clicks, row.events);
    const created = new Set(row.calls);
    return clicks.map((c, i) => ({ event: events[i] ?? null, callCreated: c.call !== null && events[i] !== null && created.has(c.call.id) }));
  };

  // On SQLite at most 40 clicks a batch: a call row has 18 columns, and old SQLite builds take 999
  // values a statement. PostgreSQL gets a batch as three JSON values, whatever its size, and up to
  // CLICK_CONNECTIONS batches at once: a click arriving while a batch commits is sent at once
  // rather than behind that commit, and one slow commit does not hold up the rest.
  const split = (err: unknown, size: number) => logger.warn({ err, clicks: size }, 'click batch failed; storing its clicks one at a time');
  const batches = isSqlite(db)
    ? new GroupCommit<NewClick, StoredClick>(sqliteBatch, 40, 1, split)
    : new GroupCommit<NewClick, StoredClick>(pgBatch, 200, CLICK_CONNECTIONS, split);
  return { store: (click) => batches.submit(click) };
}
