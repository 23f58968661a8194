import { outboxContract } from '../../contracts/outbox.contract.ts';
import { outboxRoundsContract } from '../../contracts/outbox-rounds.contract.ts';
import { portalContract } from '../../contracts/portal.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

outboxContract('SQLite', tempSqliteDb);
outboxRoundsContract('SQLite', tempSqliteDb);
portalContract('SQLite', tempSqliteDb);
