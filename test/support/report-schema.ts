// Validates reports against schema/report.schema.json: every report a test produces goes through this.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv.default({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

export function expectValidReport(report: unknown): void {
  const ok = validate(report);
  expect(ok ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
}
