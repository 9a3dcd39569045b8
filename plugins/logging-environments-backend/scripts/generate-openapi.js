#!/usr/bin/env node
/*
 * Generates src/schema/openapi.generated.ts from src/schema/openapi.yaml:
 * the spec as a `const` that Backstage's typed OpenAPI router derives its
 * request and response types from. (Backstage's repo-tools generator needs
 * a Java generator downloaded at run time; this needs nothing.)
 * src/schema/openapi.test.ts fails when the two drift apart.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');

const dir = join(__dirname, '../src/schema');
const spec = parse(readFileSync(join(dir, 'openapi.yaml'), 'utf8'));

const source = `// Generated from openapi.yaml by \`yarn workspace @internal/plugin-logging-environments-backend openapi:generate\`.
// Do not edit: change openapi.yaml and generate again.
/* eslint-disable */
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';

export const spec = ${JSON.stringify(spec, null, 2)} as const;

export const createOpenApiRouter = async (
  options?: Parameters<typeof createValidatedOpenApiRouter>['1'],
) => createValidatedOpenApiRouter<typeof spec>(spec, options);
`;
writeFileSync(join(dir, 'openapi.generated.ts'), source);
console.log('Wrote src/schema/openapi.generated.ts');
