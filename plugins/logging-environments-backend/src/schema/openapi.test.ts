import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { spec } from './openapi.generated';

describe('openapi.generated.ts', () => {
  it('matches openapi.yaml (run openapi:generate after changing it)', () => {
    const yaml = parse(readFileSync(join(__dirname, 'openapi.yaml'), 'utf8'));
    expect(JSON.parse(JSON.stringify(spec))).toEqual(yaml);
  });

  it('holds what the generator writes now (types and endpoint map included)', () => {
    // eslint-disable-next-line @backstage/no-relative-monorepo-imports
    const { generatedSource } = require('../../scripts/generate-openapi.js');
    expect(
      readFileSync(join(__dirname, 'openapi.generated.ts'), 'utf8'),
    ).toEqual(generatedSource());
  });
});
