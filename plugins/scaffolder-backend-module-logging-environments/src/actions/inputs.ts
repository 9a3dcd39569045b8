import type { z as zod } from 'zod/v3';

/** The zod the scaffolder hands to each schema field (zod 4's v3 API). */
type Zod = typeof zod;

/**
 * The schema fields several bootstrap actions share, so one field means one
 * thing, with one rule and one description, in every action.
 */

/*
 * No `.regex()` here: the scaffolder checks inputs against the JSON schema
 * made from these, and its message for a pattern is the pattern. Each
 * handler checks these fields first, in words (assertEnvironmentName,
 * awsClientsForStep), before anything uses them.
 */

/** An `environment` field with its own description (the rule is the same). */
export const environmentField = (description: string) => (z: Zod) =>
  z.string({ description });

/** `environment`: the environment whose record the step acts on. */
export const environmentInput = environmentField(
  'Environment name: a DNS-1123 label of at most 40 characters (lowercase letters, digits and "-"); the step acts only on what its record names',
);

/** `cluster`: a cluster from the backend's configuration. */
export const clusterInput = (z: Zod) =>
  z.string({ description: 'Name of a configured cluster' });

/** `region`: an AWS region name. */
const regionInput = (z: Zod) =>
  z.string({ description: 'AWS region, e.g. us-east-2' });

/** `bucket`: the environment's S3 bucket for Loki. */
const bucketInput = (z: Zod) =>
  z.string({
    description:
      'The S3 bucket for Loki (3-63 lowercase letters, digits and "-", no dots)',
  });

/** `secretName`: the Secrets Manager secret holding Loki's S3 credentials. */
export const secretNameInput = (z: Zod) =>
  z
    .string({
      description:
        'Secrets Manager secret for Loki (default logging/<environment>/loki-s3)',
    })
    .optional();

/** `kmsKeyId`: the KMS key the secret is encrypted with. */
export const secretKmsKeyInput = (z: Zod) =>
  z.string({ description: 'KMS key for the secret' }).optional();

/** `rotate`: whether what is there for someone else may be replaced. */
export const rotateInput = (what: string) => (z: Zod) =>
  z
    .boolean({
      description: `Replace ${what} already there that differ (a rotation); without it a re-run never replaces them`,
    })
    .optional();

/** The `action` output: what an ensure operation did. */
const actionOutput = (z: Zod) =>
  z.string({
    description:
      'created, adopted, updated or unchanged (would-create / would-update in a dry run)',
  });

/** The `changes` output: what an ensure operation changed, in words. */
const changesOutput = (z: Zod) =>
  z.array(z.string(), { description: 'What was changed, in words' });

/** The inputs of every AWS bootstrap step: what `awsClientsForStep` reads. */
export const awsStepInput = {
  environment: environmentInput,
  bucket: bucketInput,
  region: regionInput,
};

/**
 * The inputs of the AWS steps that write Loki's S3 secret: what
 * `lokiSecretForStep` reads, and the secret's KMS key.
 */
export const lokiSecretStepInput = {
  ...awsStepInput,
  secretName: secretNameInput,
  kmsKeyId: secretKmsKeyInput,
};

/** The inputs of every cluster bootstrap step: what `clusterForStep` reads. */
export const clusterStepInput = {
  environment: environmentInput,
  cluster: clusterInput,
};

/** The outputs `runEnsure` writes: what an ensure operation did. */
export const ensureOutput = {
  action: actionOutput,
  changes: changesOutput,
};
