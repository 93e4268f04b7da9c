// The message of the error a call throws, checked to be of the expected class: for the one-line errors of
// flags, environment variables and CDK configuration.
import { expect } from 'vitest';

export function errorMessageOf(call: () => unknown, errorClass: abstract new (...args: never[]) => Error): string {
  try {
    call();
  } catch (err) {
    expect(err).toBeInstanceOf(errorClass);
    return (err as Error).message;
  }
  throw new Error(`expected a ${errorClass.name}`);
}
