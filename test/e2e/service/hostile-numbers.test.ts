import { hostileNumbersScenario } from './hostile-numbers.ts';

hostileNumbersScenario('SQLite');
