import { describe, expect, it } from 'vitest';
import { planShrinkProblem, portedShrinkProblem } from '../../../src/core/numbering/import-shrink.ts';

describe('an import that would gut the plan', () => {
  const active = { mobile: 1_000_000, landline: 400_000 };

  it.each([
    ['the same plan', active, null],
    ['a bigger plan', { mobile: 2_000_000, landline: 500_000 }, null],
    ['exactly the limit lost', { mobile: 900_000, landline: 400_000 }, null],
    ['a DEF file alone', { mobile: 1_000_000, landline: 0 }, 'the files have no ABC (landline) ranges, so the active plan\'s 400,000 landline numbers would become unknown'],
    ['a third of DEF lost', { mobile: 666_000, landline: 400_000 }, 'DEF (mobile) numbers would drop from 1,000,000 to 666,000 (−33.4 %, more than the 10 % allowed)'],
    ['both', { mobile: 0, landline: 100 }, 'the files have no DEF (mobile) ranges, so the active plan\'s 1,000,000 mobile numbers would become unknown; '
      + 'ABC (landline) numbers would drop from 400,000 to 100 (−100 %, more than the 10 % allowed)'],
  ])('%s', (_what, next, expected) => {
    expect(planShrinkProblem(active, next, 0.1)).toBe(expected);
  });

  it('a kind the active plan never had is not required (a DEF-only plan may stay DEF-only)', () => {
    expect(planShrinkProblem({ mobile: 1000, landline: 0 }, { mobile: 1000, landline: 0 }, 0.1)).toBeNull();
    expect(planShrinkProblem({ mobile: 0, landline: 0 }, { mobile: 10, landline: 0 }, 0.1)).toBeNull();
  });

  it('a full ported feed may lose up to the limit, not more', () => {
    expect(portedShrinkProblem(0, 0, 0.1)).toBeNull();
    expect(portedShrinkProblem(1000, 900, 0.1)).toBeNull();
    expect(portedShrinkProblem(1000, 899, 0.1)).toBe('the override set would drop from 1,000 to 899 numbers (−10.1 %, more than the 10 % allowed)');
    expect(portedShrinkProblem(1000, 899, 0.5)).toBeNull();
  });
});
