#!/usr/bin/env node
// The admin CLI.
import { runBuilt } from './run-built.js';

await runBuilt('adapters/cli/main.js');
