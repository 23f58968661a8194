#!/usr/bin/env node
// `npm run demo`: scripted click-to-calls through the in-process PBX and Bitrix24 doubles.
import { runBundle } from './run-cached.js';

runBundle('demo/demo.cjs', 'demo');
