#!/usr/bin/env node
// The admin CLI: the bundled, compiled JavaScript of src/adapters/cli (see bin/run-cached.js).
import { runBundle } from './run-cached.js';

runBundle('cli/b24pbx.cjs', process.argv[2]);
