/**
 * How res_agi takes a FastAGI server's command lines off the socket (run_agi in res_agi.c): it
 * waits with poll() on the raw descriptor, then reads one line with fgets() from a stdio stream
 * opened on that descriptor. fgets() pulls everything the kernel holds into the stdio buffer, so
 * when a server writes several commands before reading the replies (pipelining), the lines after
 * the first stay in that buffer where poll() cannot see them: they run only when more bytes or
 * EOF make the descriptor readable again. Modelled here so a pipelining server stalls in tests as
 * it would against a real Asterisk.
 */
export class ResAgiLineReader {
  /** The stdio buffer: bytes already read from the socket, not yet executed. */
  private buffered = '';

  /** Bytes arrived (the descriptor became readable): the command lines Asterisk executes now. */
  data(chunk: string): string[] {
    const lines: string[] = [];
    // Complete lines already buffered come out of fgets() without a read(); the descriptor stays
    // readable meanwhile, so each of them runs.
    for (let line = this.take(); line !== null; line = this.take()) lines.push(line);
    // Then one read() moves the new bytes into the buffer and fgets() returns ONE line of them.
    this.buffered += chunk;
    const next = this.take();
    if (next !== null) lines.push(next);
    return lines;
  }

  /** EOF: the descriptor stays readable, so every buffered line runs (a last partial line too). */
  end(): string[] {
    const lines: string[] = [];
    for (let line = this.take(); line !== null; line = this.take()) lines.push(line);
    if (this.buffered !== '') lines.push(this.buffered.replace(/\r$/, ''));
    this.buffered = '';
    return lines;
  }

  /** Complete command lines waiting in the buffer, unseen by poll(). */
  get stalled(): number {
    return this.buffered.split('\n').length - 1;
  }

  private take(): string | null {
    const nl = this.buffered.indexOf('\n');
    if (nl < 0) return null;
    const line = this.buffered.slice(0, nl).replace(/\r$/, '');
    this.buffered = this.buffered.slice(nl + 1);
    return line;
  }
}
