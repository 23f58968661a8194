#!/usr/bin/env node
// `npm run demo`: scripted click-to-calls through the in-process PBX and Bitrix24 doubles.
import { runBuilt } from './run-built.js';

await runBuilt('demo.js');
