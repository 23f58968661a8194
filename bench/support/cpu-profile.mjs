// Preload for the connector process of the real-Asterisk benches (node refuses --cpu-prof in
// NODE_OPTIONS): CONNECTOR_NODE_OPTIONS="--import ./bench/support/cpu-profile.mjs". Samples the
// main thread from start to exit and writes CPU_PROFILE_DIR/connector-PID.cpuprofile (Chrome
// DevTools, speedscope); the SQLite work of node-sqlite3's thread pool is not in it.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.on('exit', () => {
  // The inspector answers synchronously, so the profile is written before the process ends.
  session.post('Profiler.stop', (err, result) => {
    if (err) return;
    const dir = process.env.CPU_PROFILE_DIR ?? process.cwd();
    fs.writeFileSync(path.join(dir, `connector-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
