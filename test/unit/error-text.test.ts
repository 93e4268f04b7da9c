import { describe, expect, it } from 'vitest';
import { asAuditError, AuditError, ConnectError, errorText } from '../../lambda/core/errors.js';

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

describe('asAuditError', () => {
  it('keeps an AuditError as it is, subclass and message', () => {
    const error = new ConnectError('127.0.0.1:6379 refused the connection');
    expect(asAuditError(error)).toBe(error);
  });

  it('wraps anything else in a generic line that names only its type, keeping it as the cause', () => {
    const bug = new TypeError('cannot read properties of undefined (reading "password=s3cret")');
    const wrapped = asAuditError(bug);
    expect(wrapped).toBeInstanceOf(AuditError);
    expect(wrapped.message).toBe('the audit failed unexpectedly (TypeError)');
    expect(wrapped.cause).toBe(bug);
    expect(asAuditError('a thrown string').message).toBe('the audit failed unexpectedly (string)');
  });
});
