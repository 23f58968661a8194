#!/usr/bin/env node
// The admin CLI. TypeScript sources run through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/adapters/cli/main.ts');
