import { hostileNumbersScenario } from '../e2e/service/hostile-numbers.ts';
import { TEST_PG_URL } from '../support/db.ts';

hostileNumbersScenario('PostgreSQL', { DATABASE_URL: TEST_PG_URL });
