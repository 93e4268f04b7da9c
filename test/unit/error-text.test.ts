import { describe, expect, it } from 'vitest';
import { errorText } from '../../lambda/core/errors.js';

describe('errorText', () => {
  const multiLine = Object.assign(new Error('first line\nsecond line'), { name: 'AccessDenied' });

  it('gives an Error as Name: message, whole by default', () => {
    expect(errorText(multiLine)).toBe('AccessDenied: first line\nsecond line');
  });

  it('keeps the first line and cuts to maxChars when asked', () => {
    expect(errorText(multiLine, { firstLine: true })).toBe('AccessDenied: first line');
    expect(errorText(multiLine, { maxChars: 8 })).toBe('AccessDe');
  });

  it('gives any other thrown value as its string', () => {
    expect(errorText('plain text', { maxChars: 5 })).toBe('plain');
    expect(errorText(42)).toBe('42');
  });
});
