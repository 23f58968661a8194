// The bin scripts run the compiled JavaScript in dist/ (built by `npm run build`, which npm install
// and npm ci run as their `prepare` step): no TypeScript is compiled at run time.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function runBuilt(entry) {
  const url = new URL(`../dist/${entry}`, import.meta.url);
  if (!fs.existsSync(fileURLToPath(url))) {
    process.stderr.write(`dist/${entry} is missing: run \`npm run build\` (npm install and npm ci run it).\n`);
    process.exit(1);
  }
  await import(url.href);
}
