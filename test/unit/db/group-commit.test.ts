import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/adapters/db/group-commit.ts';

/** A batch runner whose batches finish only when the test says so. */
function heldRunner() {
  const batches: { inputs: readonly number[]; finish(): void }[] = [];
  const run = (inputs: readonly number[]) => new Promise<readonly number[]>((resolve) => {
    batches.push({ inputs, finish: () => resolve(inputs.map((n) => n * 10)) });
  });
  return { batches, run };
}

describe('group commit', () => {
  it('one batch at a time: requests arriving meanwhile share the next batch', async () => {
    const r = heldRunner();
    const commits = new GroupCommit(r.run, 200, 1);
    const answers = [1, 2, 3].map((n) => commits.submit(n));
    expect(r.batches.map((b) => b.inputs)).toEqual([[1]]);
    r.batches[0]!.finish();
    await answers[0];
    expect(r.batches.map((b) => b.inputs)).toEqual([[1], [2, 3]]);
    r.batches[1]!.finish();
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
  });

  it('with several in flight, a request does not wait for a running batch; beyond the limit they share the next one', async () => {
    const r = heldRunner();
    const commits = new GroupCommit(r.run, 200, 2);
    const answers = [1, 2, 3, 4].map((n) => commits.submit(n));
    expect(r.batches.map((b) => b.inputs)).toEqual([[1], [2]]);
    // The second batch ends first: its asker is answered without waiting for the first.
    r.batches[1]!.finish();
    expect(await answers[1]).toBe(20);
    expect(r.batches.map((b) => b.inputs)).toEqual([[1], [2], [3, 4]]);
    r.batches[2]!.finish();
    r.batches[0]!.finish();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
  });

  it('a failing input fails only its own request', async () => {
    const commits = new GroupCommit(async (inputs: readonly number[]) => {
      if (inputs.includes(2)) throw new Error('refused: 2');
      return inputs.map((n) => n * 10);
    }, 200, 1);
    const answers = [1, 2, 3].map((n) => commits.submit(n).catch((err: Error) => err.message));
    expect(await Promise.all(answers)).toEqual([10, 'refused: 2', 30]);
  });

  it('a batch that fails whole is told of, even when each input then succeeds alone', async () => {
    const splits: { message: string; size: number }[] = [];
    const commits = new GroupCommit(async (inputs: readonly number[]) => {
      // A shared batch times out; alone, each input goes through. (1 runs alone at once; 2 and 3 share the next batch.)
      if (inputs.length > 1) throw new Error('database connection not free after 60000 ms');
      return inputs.map((n) => n * 10);
    }, 200, 1, (err, size) => splits.push({ message: (err as Error).message, size }));
    const answers = [1, 2, 3].map((n) => commits.submit(n));
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
    expect(splits).toEqual([{ message: 'database connection not free after 60000 ms', size: 2 }]);
  });
});
