import { describe, expect, it } from 'vitest';

import { literalGrammar, perplexityOf } from './perplexity';

describe('perplexity', () => {
  it('is exp of the negative mean log-probability', () => {
    const logprobs = [Math.log(0.5), Math.log(0.25), Math.log(0.125)];
    // Geometric mean of the probabilities is 0.25, so perplexity 4.
    expect(perplexityOf(logprobs)).toBeCloseTo(4, 12);
    expect(perplexityOf([0])).toBe(1);
  });

  it('refuses an empty list and non-finite values', () => {
    expect(() => perplexityOf([])).toThrow(RangeError);
    expect(() => perplexityOf([-1, Number.NEGATIVE_INFINITY])).toThrow(/-Infinity/);
  });
});

describe('literalGrammar', () => {
  it('admits exactly the text: quotes, backslashes and control characters are escaped', () => {
    expect(literalGrammar('say "hi"\\ok')).toBe('root ::= "say \\"hi\\"\\\\ok"');
    expect(literalGrammar('a\nb\tc')).toBe('root ::= "a\\x0ab\\x09c"');
    expect(literalGrammar('héllo 日本')).toBe('root ::= "héllo 日本"');
  });
});
