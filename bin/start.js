#!/usr/bin/env node
// `npm start`: the service (HTTP, FastAGI, AMI) from .env; the demo doubles when no PBX/CRM is configured.
import { runBundle } from './run-cached.js';

runBundle('service/start.cjs', 'start');
