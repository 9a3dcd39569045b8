#!/usr/bin/env node
/*
 * Generates src/schema/openapi.generated.ts from src/schema/openapi.yaml, in
 * the shape `backstage-repo-tools package schema openapi generate --server`
 * gives: the spec as a `const`, a TypeScript type per component schema, and
 * an `EndpointMap` (`'#<method>|<path>'` → path, query, body and response
 * types) from which `createValidatedOpenApiRouterFromGeneratedEndpointMap`
 * types every handler. repo-tools does this with openapi-generator, a Java
 * program it downloads from Maven Central at run time; this needs nothing
 * beyond the repository's own dependencies, so it runs on a machine that
 * reaches only a registry mirror. src/schema/openapi.test.ts fails when the
 * generated file and the spec drift apart.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');

const dir = join(__dirname, '../src/schema');
const spec = parse(readFileSync(join(dir, 'openapi.yaml'), 'utf8'));
const target = join(dir, 'openapi.generated.ts');

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

function refName(ref) {
  const prefix = '#/components/schemas/';
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(prefix.length);
}

function resolveRef(node) {
  if (!node || !node.$ref) return node;
  const [, , section, name] = node.$ref.split('/');
  const resolved = spec.components?.[section]?.[name];
  if (!resolved) throw new Error(`unresolved $ref ${node.$ref}`);
  return resolveRef(resolved);
}

function comment(text, indent) {
  if (!text) return '';
  const lines = String(text).trim().split('\n');
  return `${indent}/** ${lines.join(`\n${indent} * `)} */\n`;
}

/** The TypeScript type of a JSON schema (the subset openapi.yaml uses). */
function typeOf(schema, indent = '') {
  if (!schema) return 'unknown';
  if (schema.$ref) return refName(schema.$ref);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    return alternatives.map(s => typeOf(s, indent)).join(' | ');
  }
  if (schema.allOf) return schema.allOf.map(s => typeOf(s, indent)).join(' & ');
  if (schema.enum) return schema.enum.map(v => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `Array<${typeOf(schema.items, indent)}>`;
    case 'object':
    case undefined: {
      const inner = `${indent}  `;
      const required = new Set(schema.required ?? []);
      const members = Object.entries(schema.properties ?? {}).map(
        ([key, value]) =>
          `${comment(value.description, inner)}${inner}${
            /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)
          }${required.has(key) ? '' : '?'}: ${typeOf(value, inner)};`,
      );
      if (schema.additionalProperties) {
        const value =
          schema.additionalProperties === true
            ? 'unknown'
            : typeOf(schema.additionalProperties, inner);
        members.push(`${inner}[key: string]: ${value};`);
      }
      if (members.length === 0) return '{ [key: string]: unknown }';
      return `{\n${members.join('\n')}\n${indent}}`;
    }
    default:
      throw new Error(`unsupported schema type ${schema.type}`);
  }
}

function parametersType(parameters, where) {
  const own = parameters.map(resolveRef).filter(p => p.in === where);
  if (own.length === 0) return undefined;
  return typeOf(
    {
      type: 'object',
      required: own.filter(p => p.required).map(p => p.name),
      properties: Object.fromEntries(
        own.map(p => [p.name, { ...p.schema, description: p.description }]),
      ),
    },
    '    ',
  );
}

function responseType(responses) {
  const types = Object.entries(responses ?? {})
    .filter(([status]) => /^2\d\d$/.test(status))
    .map(([, response]) => {
      const schema = resolveRef(response).content?.['application/json']?.schema;
      return schema ? typeOf(schema, '    ') : 'void';
    });
  return types.length ? [...new Set(types)].join(' | ') : 'void';
}

const models = Object.entries(spec.components?.schemas ?? {})
  .map(
    ([name, schema]) =>
      `${comment(schema.description, '')}export type ${name} = ${typeOf(
        schema,
      )};`,
  )
  .join('\n\n');

const endpoints = [];
for (const [path, item] of Object.entries(spec.paths)) {
  for (const method of METHODS) {
    const operation = item[method];
    if (!operation) continue;
    const parameters = [
      ...(item.parameters ?? []),
      ...(operation.parameters ?? []),
    ];
    const parts = [];
    const pathType = parametersType(parameters, 'path');
    if (pathType) parts.push(`    path: ${pathType};`);
    const queryType = parametersType(parameters, 'query');
    if (queryType) parts.push(`    query: ${queryType};`);
    const body =
      operation.requestBody &&
      resolveRef(operation.requestBody).content?.['application/json']?.schema;
    if (body) parts.push(`    body: ${typeOf(body, '    ')};`);
    parts.push(`    response: ${responseType(operation.responses)};`);
    const key = `#${method === 'delete' ? '_delete' : method}|${path}`;
    endpoints.push(
      `${comment(operation.operationId, '  ')}  ${JSON.stringify(
        key,
      )}: {\n${parts.join('\n')}\n  };`,
    );
  }
}

const source = `// Generated from openapi.yaml by \`yarn workspace @internal/plugin-logging-environments-backend openapi:generate\`.
// Do not edit: change openapi.yaml and generate again.
/* eslint-disable */
import { createValidatedOpenApiRouterFromGeneratedEndpointMap } from '@backstage/backend-openapi-utils';

export const spec = ${JSON.stringify(spec, null, 2)} as const;

${models}

/** Every operation: its path parameters, query, body and 2xx response. */
export type EndpointMap = {
${endpoints.join('\n')}
};

/** The plugin's router: every request validated against the spec, every handler typed by {@link EndpointMap}. */
export const createOpenApiRouter = async (
  options?: Parameters<
    typeof createValidatedOpenApiRouterFromGeneratedEndpointMap
  >['1'],
) =>
  createValidatedOpenApiRouterFromGeneratedEndpointMap<EndpointMap>(
    spec,
    options,
  );
`;
/** The generated source, formatted as the repository's prettier does. */
function generatedSource() {
  const prettier = require('prettier');
  const options = prettier.resolveConfig.sync(target) ?? {};
  return prettier.format(source, { ...options, filepath: target });
}

if (require.main === module) {
  writeFileSync(target, generatedSource());
  console.log('Wrote src/schema/openapi.generated.ts');
}

module.exports = { generatedSource };
