import { consoleContract } from '../../contracts/console.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

consoleContract('SQLite', tempSqliteDb);
