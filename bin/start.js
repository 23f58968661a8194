#!/usr/bin/env node
// `npm start`: the service (HTTP, FastAGI, AMI) from .env; the demo doubles when no PBX/CRM is configured.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
