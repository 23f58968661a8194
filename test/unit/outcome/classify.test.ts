import { describe, expect, it } from 'vitest';
import { classifyOutcome } from '../../../src/core/outcome/classify.ts';

// DECISIONS §9, by hand: the callee's own answers stop; technical failures rotate unless the
// cause says the number itself is the problem.
describe('classifyOutcome: rotate or stop', () => {
  it.each(['ANSWER', 'BUSY', 'NOANSWER', 'CANCEL'])('%s → stop whatever the cause', (status) => {
    for (const cause of [null, 0, 16, 17, 21, 34, 38, 41, 68]) expect(classifyOutcome(status, cause)).toBe('stop');
  });

  const rotateCauses = [0, 34, 38, 41, 68];
  const stopCauses = [1, 16, 17, 18, 19, 21, 22, 23, 28];
  for (const status of ['CHANUNAVAIL', 'CONGESTION']) {
    it.each(rotateCauses)(`${status} with cause %i → rotate`, (cause) => {
      expect(classifyOutcome(status, cause)).toBe('rotate');
    });
    it.each(stopCauses)(`${status} with cause %i → stop`, (cause) => {
      expect(classifyOutcome(status, cause)).toBe('stop');
    });
  }

  it('no cause recorded (the dialled channel failed before ringing) → rotate', () => {
    expect(classifyOutcome('CHANUNAVAIL', null)).toBe('rotate');
  });

  it('cause 21 is stop by default and rotate on a trunk that overrides it', () => {
    expect(classifyOutcome('CHANUNAVAIL', 21)).toBe('stop');
    expect(classifyOutcome('CHANUNAVAIL', 21, { 21: 'rotate' })).toBe('rotate');
    expect(classifyOutcome('CONGESTION', 34, { 34: 'stop' })).toBe('stop');
    // Overrides never turn the callee's own answer into a rotation.
    expect(classifyOutcome('BUSY', 21, { 21: 'rotate' })).toBe('stop');
  });

  it('status case and whitespace do not matter', () => {
    expect(classifyOutcome(' congestion ', 34)).toBe('rotate');
  });
});
