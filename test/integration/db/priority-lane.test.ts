import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../src/adapters/db/connection.ts';
import { urgently } from '../../../src/adapters/db/priority-lane.ts';

let db: Db | null = null;
afterEach(async () => {
  await db?.destroy();
  db = null;
});

describe('SQLite connection with a priority lane', () => {
  it('runs a click\u2019s statement before background statements queued ahead of it', async () => {
    db = openDb({ url: ':memory:' });
    await db.schema.createTable('t', (t) => t.string('who'));
    const ran: string[] = [];
    db.on('query', (q: { bindings?: unknown[] }) => {
      const who = q.bindings?.[0];
      if (typeof who === 'string') ran.push(who);
    });
    const background = ['bg-1', 'bg-2', 'bg-3', 'bg-4'].map((who) => db!('t').insert({ who }).then(() => undefined));
    const click = urgently(() => db!('t').insert({ who: 'click' }).then(() => undefined));
    await Promise.all([...background, click]);
    // bg-1 already held the connection; the click goes next.
    expect(ran).toEqual(['bg-1', 'click', 'bg-2', 'bg-3', 'bg-4']);
    expect(await db('t').count({ n: '*' }).first()).toEqual({ n: 5 });
  });
});
