#!/usr/bin/env node
// The admin CLI: the bundled, compiled JavaScript of src/adapters/cli (see bin/run-cached.js).
import { runBundle } from './run-cached.js';

// One code cache per command (`carriers lookup`, `route explain`): each runs its own functions.
runBundle('cli/b24pbx.cjs', process.argv[2], process.argv[3]);
