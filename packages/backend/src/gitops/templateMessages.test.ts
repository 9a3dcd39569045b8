/**
 * The template's form speaks in words: each parameter step validated as
 * the scaffolder's form validates it (@rjsf/validator-ajv8 with
 * ajv-errors, as @backstage/plugin-scaffolder-react's Stepper sets it up),
 * so a wrong name, KMS key, bucket, region or an empty secret field shows
 * the template's `errorMessage`, never a regular expression.
 */
import { customizeValidator } from '@rjsf/validator-ajv8';
import ajvErrors from 'ajv-errors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './__testUtils__/kustomize';

const template = parse(
  readFileSync(
    join(REPO_ROOT, 'templates/logging-environment/template.yaml'),
    'utf8',
  ),
);
const steps: any[] = template.spec.parameters;

const validator = customizeValidator();
ajvErrors(validator.ajv as any);

/** The form's error messages for `formData` on the step titled `title`. */
function messages(title: string, formData: Record<string, unknown>) {
  const schema = steps.find(s => s.title === title);
  const { errors } = validator.validateFormData(formData, schema);
  return Object.fromEntries(
    errors.map(e => [e.property?.replace(/^\./, ''), e.message]),
  );
}

const environment = {
  name: 'acme-dev',
  tier: 'development',
  owner: 'group:default/platform-team',
  cluster: 'dev',
};
const aws = {
  region: 'us-east-2',
  awsAccessKeyId: '*'.repeat(20),
  awsSecretAccessKey: '*'.repeat(40),
};

describe('the template form messages', () => {
  it('accepts a good request on every step', () => {
    expect(messages('Environment', environment)).toEqual({});
    expect(messages('AWS', aws)).toEqual({});
    expect(messages('Logging stack', { retentionDays: 14 })).toEqual({});
  });

  it('explains the name, owner and cluster rules in words', () => {
    expect(
      messages('Environment', {
        ...environment,
        name: 'Acme_Prod',
        owner: 'user:default/riley',
        cluster: 'Dev!',
      }),
    ).toEqual({
      name: 'Use only lowercase letters, digits and "-", starting and ending with a letter or digit (e.g. acme-prod)',
      owner: 'Choose a group, e.g. group:default/platform-team',
      cluster:
        'A cluster name: lowercase letters, digits and "-", e.g. sandbox, dev or staging',
    });
    expect(
      messages('Environment', { ...environment, name: 'a'.repeat(41) }).name,
    ).toBe('Use at most 40 characters');
    expect(
      messages('Environment', {
        ...environment,
        approverGroups: ['sre-leads'],
      }),
    ).toEqual({
      'approverGroups.0': 'Each must be a group, e.g. group:default/sre-leads',
    });
  });

  it('explains the region, bucket and KMS key forms in words', () => {
    const got = messages('AWS', {
      ...aws,
      region: 'US East',
      bucketName: 'acme.prod.loki',
      kmsKeyId: 'my-key',
    });
    expect(got).toEqual({
      region: 'An AWS region name, e.g. us-east-2 or eu-west-1',
      bucketName:
        'An S3 bucket name: 3 to 63 lowercase letters, digits and "-", no dots, starting and ending with a letter or digit; or leave empty for <name>-loki',
      kmsKeyId:
        'A KMS key id (1234abcd-12ab-34cd-56ef-1234567890ab), a multi-Region key id (mrk-...), an alias (alias/my-key), or the ARN of a key or an alias (arn:aws:kms:us-east-2:111122223333:key/...); leave empty for SSE-S3',
    });
    for (const message of Object.values(got)) {
      expect(message).not.toMatch(/[\^$\\]|\[a-z/);
    }
  });

  it('requires the secret fields in the form, in words', () => {
    // An untouched secret field holds its empty default.
    expect(
      messages('AWS', {
        region: 'us-east-2',
        awsAccessKeyId: '',
        awsSecretAccessKey: '',
      }),
    ).toEqual({
      awsAccessKeyId:
        'Required: the access key id (16 to 128 characters, e.g. AKIA...) of the IAM user External Secrets reads with',
      awsSecretAccessKey:
        'Required: the secret access key (16 to 128 characters) that belongs to the access key id',
    });
    const fields = steps.find(s => s.title === 'AWS').properties;
    expect(fields.awsAccessKeyId.default).toBe('');
    expect(fields.awsSecretAccessKey.default).toBe('');
    expect(template.spec.secrets.schema.required).toEqual([
      'awsAccessKeyId',
      'awsSecretAccessKey',
    ]);
  });

  it('explains the retention rule in words', () => {
    expect(messages('Logging stack', { retentionDays: 0 })).toEqual({
      retentionDays: 'A whole number of days from 1 to 3650',
    });
  });
});
