import { describe, expect, it } from 'vitest';
import { ResAgiLineReader } from '../../../src/doubles/asterisk/res-agi-reader.ts';

// res_agi polls the raw socket but reads with fgets() from a stdio buffer: a model of that, used by
// the PBX double and the test FastAGI client so a pipelining server stalls as on a real Asterisk.
describe('ResAgiLineReader (how res_agi takes commands off the socket)', () => {
  it('one command per packet: each runs as it arrives, a line split over two packets runs once complete', () => {
    const r = new ResAgiLineReader();
    expect(r.data('GET VARIABLE CONNECTOR_CALL_ID\n')).toEqual(['GET VARIABLE CONNECTOR_CALL_ID']);
    expect(r.data('SET VARIABLE ROUTE_ACTION ')).toEqual([]);
    expect(r.data('"dial"\r\n')).toEqual(['SET VARIABLE ROUTE_ACTION "dial"']);
    expect(r.stalled).toBe(0);
  });

  it('pipelined commands: only the first runs; the rest wait unseen until more bytes or EOF arrive', () => {
    const r = new ResAgiLineReader();
    expect(r.data('GET VARIABLE A\nGET VARIABLE B\nGET VARIABLE C\n')).toEqual(['GET VARIABLE A']);
    expect(r.stalled).toBe(2);
    // More bytes make the descriptor readable: the buffered lines run, then one line of the new bytes.
    expect(r.data('GET VARIABLE D\nGET VARIABLE E\n')).toEqual(['GET VARIABLE B', 'GET VARIABLE C', 'GET VARIABLE D']);
    expect(r.stalled).toBe(1);
    expect(r.data('NOOP')).toEqual(['GET VARIABLE E']);
    // EOF: everything left runs, a last line without its newline too.
    r.data('\nVERBOSE "x" 1\nNOOP');
    expect(r.end()).toEqual(['VERBOSE "x" 1', 'NOOP']);
    expect(r.end()).toEqual([]);
  });
});
