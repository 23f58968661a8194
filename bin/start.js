#!/usr/bin/env node
// `npm start`: the service (HTTP, FastAGI, AMI) from .env; the demo doubles when no PBX/CRM is configured.
import { runBuilt } from './run-built.js';

await runBuilt('main.js');
