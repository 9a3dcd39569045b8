/**
 * A rejected input: which field, which rule.
 *
 * @public
 */
export interface FieldProblem {
  /** Name of the field, as the caller spelled it. */
  field: string;
  /** The rule the value broke, in words. */
  message: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Checks an environment name: a DNS-1123 label (it becomes part of
 * Kubernetes object names such as `<name>-logging-infrastructure`, which must
 * stay within 63 characters).
 *
 * @public
 */
export function validateEnvironmentName(
  value: unknown,
  field = 'name',
): FieldProblem[] {
  if (typeof value !== 'string' || value.length === 0) {
    return [{ field, message: 'is required and must be a string' }];
  }
  // The longest derived name is `<name>-logging-infrastructure` (23 more).
  const max = 63 - '-logging-infrastructure'.length;
  if (value.length > max) {
    return [{ field, message: `must be at most ${max} characters` }];
  }
  if (!DNS1123_LABEL.test(value)) {
    return [
      {
        field,
        message:
          'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit',
      },
    ];
  }
  return [];
}

/**
 * Checks an S3 bucket name against the S3 naming rules for general purpose
 * buckets (3-63 characters; lowercase letters, digits, "-" and "."; starts
 * and ends with a letter or digit; no "..", not an IP address, none of the
 * reserved prefixes and suffixes). Dots are refused as well, because they
 * break virtual-hosted-style TLS.
 *
 * @public
 */
export function validateBucketName(
  value: unknown,
  field = 'bucketName',
): FieldProblem[] {
  if (typeof value !== 'string' || value.length === 0) {
    return [{ field, message: 'is required and must be a string' }];
  }
  const problems: string[] = [];
  if (value.length < 3 || value.length > 63) {
    problems.push('must be 3 to 63 characters long');
  }
  if (!/^[a-z0-9.-]*$/.test(value)) {
    problems.push('may contain only lowercase letters, digits and "-"');
  } else if (value.includes('.')) {
    problems.push(
      'must not contain "." (it breaks TLS for virtual-hosted buckets)',
    );
  }
  if (!/^[a-z0-9]/.test(value) || !/[a-z0-9]$/.test(value)) {
    problems.push('must start and end with a lowercase letter or digit');
  }
  if (IPV4.test(value)) {
    problems.push('must not look like an IP address');
  }
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(value)) {
    problems.push(
      'must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)',
    );
  }
  if (/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(value)) {
    problems.push(
      'must not end with a reserved suffix (-s3alias, --ol-s3, --x-s3, --table-s3)',
    );
  }
  return problems.map(message => ({ field, message }));
}

/**
 * Checks an AWS region name such as `us-east-2`.
 *
 * @public
 */
export function validateRegion(
  value: unknown,
  field = 'region',
): FieldProblem[] {
  if (
    typeof value !== 'string' ||
    !/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/.test(value)
  ) {
    return [
      { field, message: 'must be an AWS region name such as "us-east-2"' },
    ];
  }
  return [];
}

/**
 * The forms of a KMS key reference AWS accepts for S3 default encryption
 * and Secrets Manager: a key id (UUID or multi-Region `mrk-...`), a key or
 * alias ARN, or an alias name.
 *
 * @public
 */
export const KMS_KEY_PATTERN =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}:\d{12}:(?:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|alias\/[A-Za-z0-9/_-]{1,250}))$/;

/**
 * Checks an optional KMS key reference (empty means SSE-S3).
 *
 * @public
 */
export function validateKmsKeyId(
  value: unknown,
  field = 'kmsKeyId',
): FieldProblem[] {
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string' || !KMS_KEY_PATTERN.test(value)) {
    return [
      {
        field,
        message:
          'must be a KMS key id, key ARN, alias name (alias/...) or alias ARN',
      },
    ];
  }
  return [];
}

/**
 * Formats problems into one message, one `field: rule` per problem.
 *
 * @public
 */
export function formatProblems(problems: FieldProblem[]): string {
  return problems.map(p => `${p.field}: ${p.message}`).join('; ');
}
