// The asterisk-route bench's baseline: a FastAGI responder that answers every route request at
// once with a dial to the busy lab trunk, and does nothing else. It runs as a process of its own so
// the bench can read its CPU per request beside the connector's. Prints its port on stdout.
import net from 'node:net';

const server = net.createServer((s) => {
  let buf = '';
  let answered = false;
  s.on('data', (d) => {
    buf += d.toString();
    if (!answered) {
      const m = /agi_arg_1: (\S+)/.exec(buf);
      if (m && buf.includes('\n\n')) {
        answered = true;
        s.write(`SET VARIABLE ROUTE "dial|Local/${m[1].replace(/^\+/, '')}@lab-t1||2|0|baseline|"\n`);
      }
    } else if (/\n200 /.test(`\n${buf.slice(buf.indexOf('\n\n') + 2)}`)) {
      s.end();
    }
  });
  s.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
