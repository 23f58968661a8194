#!/usr/bin/env node
// `npm run demo`: scripted click-to-calls through the in-process PBX and Bitrix24 doubles.
import { register } from 'tsx/esm/api';

register();
await import('../src/demo.ts');
