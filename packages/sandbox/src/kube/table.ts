import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CRD_DIR } from './crds';
import { evaluateJsonPath } from './jsonpath';
import { KubeObject, ResourceType } from './types';

/** A CRD `additionalPrinterColumns` entry. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** A column of a `meta.k8s.io` Table. */
export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** What `includeObject` asks the rows to carry. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/**
 * `duration.HumanDuration` of the Kubernetes printers (`5m10s`, `3h`,
 * `12d`), used for AGE and `date` columns.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

const columnCache = new Map<string, Map<string, PrinterColumn[]>>();

/**
 * Drops the `schema:` blocks of a CRD's YAML text: they are nearly all of
 * its size and printer columns do not need them, so parsing the rest is
 * quick.
 */
function withoutSchemas(text: string): string {
  const out: string[] = [];
  let skipIndent = -1;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (skipIndent >= 0) {
      if (!line.trim() || indent > skipIndent) continue;
      skipIndent = -1;
    }
    if (/^\s*schema:\s*$/.test(line)) {
      skipIndent = indent;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/**
 * The `additionalPrinterColumns` of every CRD version under `dir`, keyed
 * `group/version/Kind`. Parsed once per process, on first use (only
 * `kubectl get` needs them).
 */
export function loadPrinterColumns(
  dir: string = CRD_DIR,
): Map<string, PrinterColumn[]> {
  let columns = columnCache.get(dir);
  if (columns) return columns;
  columns = new Map();
  for (const file of yamlFiles(dir)) {
    const crd = parse(withoutSchemas(readFileSync(file, 'utf8')));
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const v of crd.spec.versions ?? []) {
      if (v.additionalPrinterColumns) {
        columns.set(
          `${crd.spec.group}/${v.name}/${crd.spec.names.kind}`,
          v.additionalPrinterColumns,
        );
      }
    }
  }
  columnCache.set(dir, columns);
  return columns;
}

const NAME_COLUMN: ColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

const col = (
  name: string,
  type = 'string',
  priority = 0,
  description = '',
): ColumnDefinition => ({ name, type, format: '', description, priority });

const AGE = col(
  'Age',
  'string',
  0,
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

type Cell = string | number | boolean | null;

interface BuiltinPrinter {
  columns: ColumnDefinition[];
  cells: (o: any, age: (t?: string) => string) => Cell[];
}

const lengthOf = (v: unknown) =>
  v && typeof v === 'object' ? Object.keys(v).length : 0;

function podStatus(o: any): {
  ready: string;
  status: string;
  restarts: number;
} {
  const statuses: any[] = o.status?.containerStatuses ?? [];
  const total = o.spec?.containers?.length ?? statuses.length;
  const ready = statuses.filter(s => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const waiting = statuses.find(s => s.state?.waiting?.reason);
  const terminated = statuses.find(s => s.state?.terminated?.reason);
  const status = o.metadata?.deletionTimestamp
    ? 'Terminating'
    : waiting?.state.waiting.reason ??
      terminated?.state.terminated.reason ??
      o.status?.reason ??
      o.status?.phase ??
      'Pending';
  return { ready: `${ready}/${total}`, status, restarts };
}

function jobStatus(o: any): string {
  const conditions: any[] = o.status?.conditions ?? [];
  const has = (type: string) =>
    conditions.some(c => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  return 'Running';
}

function bindingSubjects(o: any, kind: string): string {
  return (o.subjects ?? [])
    .filter((s: any) => s.kind === kind)
    .map((s: any) => (s.namespace ? `${s.namespace}/${s.name}` : s.name))
    .join(', ');
}

// The columns the real API server's printers (pkg/printers/internalversion)
// produce for the built-in kinds the sandbox serves.
const BUILTIN_PRINTERS: Record<string, BuiltinPrinter> = {
  '/Namespace': {
    columns: [NAME_COLUMN, col('Status'), AGE],
    cells: (o, age) => [
      o.metadata.name,
      o.status?.phase ?? 'Active',
      age(o.metadata.creationTimestamp),
    ],
  },
  '/Secret': {
    columns: [NAME_COLUMN, col('Type'), col('Data', 'string'), AGE],
    cells: (o, age) => [
      o.metadata.name,
      o.type ?? 'Opaque',
      lengthOf(o.data),
      age(o.metadata.creationTimestamp),
    ],
  },
  '/ConfigMap': {
    columns: [NAME_COLUMN, col('Data', 'string'), AGE],
    cells: (o, age) => [
      o.metadata.name,
      lengthOf(o.data) + lengthOf(o.binaryData),
      age(o.metadata.creationTimestamp),
    ],
  },
  '/ServiceAccount': {
    columns: [NAME_COLUMN, col('Secrets', 'string'), AGE],
    cells: (o, age) => [
      o.metadata.name,
      (o.secrets ?? []).length,
      age(o.metadata.creationTimestamp),
    ],
  },
  '/Pod': {
    columns: [
      NAME_COLUMN,
      col('Ready'),
      col('Status'),
      col('Restarts', 'string'),
      AGE,
      col('IP', 'string', 1),
      col('Node', 'string', 1),
    ],
    cells: (o, age) => {
      const s = podStatus(o);
      return [
        o.metadata.name,
        s.ready,
        s.status,
        s.restarts,
        age(o.metadata.creationTimestamp),
        o.status?.podIP ?? '<none>',
        o.spec?.nodeName ?? '<none>',
      ];
    },
  },
  '/Event': {
    columns: [
      col('Last Seen'),
      col('Type'),
      col('Reason'),
      col('Object'),
      col('Message'),
      { ...NAME_COLUMN, priority: 1 },
    ],
    cells: (o, age) => [
      age(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp),
      o.type ?? '',
      o.reason ?? '',
      `${(o.involvedObject?.kind ?? '').toLowerCase()}/${
        o.involvedObject?.name ?? ''
      }`,
      (o.message ?? '').trim(),
      o.metadata.name,
    ],
  },
  'batch/Job': {
    columns: [
      NAME_COLUMN,
      col('Status'),
      col('Completions'),
      col('Duration'),
      AGE,
    ],
    cells: (o, age) => {
      const start = o.status?.startTime;
      const end = o.status?.completionTime;
      return [
        o.metadata.name,
        jobStatus(o),
        `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`,
        start
          ? humanDuration(
              (end ? Date.parse(end) : Date.now()) - Date.parse(start),
            )
          : '',
        age(o.metadata.creationTimestamp),
      ];
    },
  },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    columns: [NAME_COLUMN, col('Created At', 'date')],
    cells: o => [o.metadata.name, o.metadata.creationTimestamp ?? null],
  },
  'rbac.authorization.k8s.io/Role': {
    columns: [NAME_COLUMN, col('Created At', 'date')],
    cells: o => [o.metadata.name, o.metadata.creationTimestamp ?? null],
  },
  'rbac.authorization.k8s.io/ClusterRole': {
    columns: [NAME_COLUMN, col('Created At', 'date')],
    cells: o => [o.metadata.name, o.metadata.creationTimestamp ?? null],
  },
  'rbac.authorization.k8s.io/RoleBinding': {
    columns: [
      NAME_COLUMN,
      col('Role'),
      AGE,
      col('Users', 'string', 1),
      col('Groups', 'string', 1),
      col('ServiceAccounts', 'string', 1),
    ],
    cells: (o, age) => [
      o.metadata.name,
      `${o.roleRef?.kind}/${o.roleRef?.name}`,
      age(o.metadata.creationTimestamp),
      bindingSubjects(o, 'User'),
      bindingSubjects(o, 'Group'),
      bindingSubjects(o, 'ServiceAccount'),
    ],
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    columns: [
      NAME_COLUMN,
      col('Role'),
      AGE,
      col('Users', 'string', 1),
      col('Groups', 'string', 1),
      col('ServiceAccounts', 'string', 1),
    ],
    cells: (o, age) => [
      o.metadata.name,
      `${o.roleRef?.kind}/${o.roleRef?.name}`,
      age(o.metadata.creationTimestamp),
      bindingSubjects(o, 'User'),
      bindingSubjects(o, 'Group'),
      bindingSubjects(o, 'ServiceAccount'),
    ],
  },
};

// ClusterServiceVersion is a CRD on a real cluster; its CRD is not among the
// upstream copies, so its printer columns are spelled out here.
const CSV_COLUMNS: PrinterColumn[] = [
  { name: 'Display', type: 'string', jsonPath: '.spec.displayName' },
  { name: 'Version', type: 'string', jsonPath: '.spec.version' },
  { name: 'Replaces', type: 'string', jsonPath: '.spec.replaces' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
];

function cellFor(column: PrinterColumn, object: KubeObject, now: number): Cell {
  let results: unknown[];
  try {
    results = evaluateJsonPath(column.jsonPath, object);
  } catch {
    return null;
  }
  if (!results.length) return null;
  const value = results[0];
  switch (column.type) {
    case 'date': {
      const t = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(t) ? null : humanDuration(now - t);
    }
    case 'integer':
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      if (typeof value === 'string') return value;
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function rowObject(o: KubeObject, include: IncludeObject) {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: o.metadata,
  };
}

/** Renders objects as a `meta.k8s.io` Table, as `kubectl get` asks for. */
export class TableRenderer {
  constructor(private readonly crdDir: string = CRD_DIR) {}

  /**
   * The Table of `objects` of `type`. `tableVersion` is the Table's
   * `meta.k8s.io` version the client asked for (`v1` or `v1beta1`).
   */
  render(
    type: ResourceType,
    objects: KubeObject[],
    options: {
      includeObject?: IncludeObject;
      resourceVersion?: string;
      tableVersion?: string;
      /** Leave out column definitions (watch events after the first). */
      noHeaders?: boolean;
      now?: number;
    } = {},
  ) {
    const now = options.now ?? Date.now();
    const age = (t?: string) =>
      t ? humanDuration(now - Date.parse(t)) : '<unknown>';
    const { columns, cells } = this.printer(type, now, age);
    return {
      kind: 'Table',
      apiVersion: `meta.k8s.io/${options.tableVersion ?? 'v1'}`,
      metadata: options.resourceVersion
        ? { resourceVersion: options.resourceVersion }
        : {},
      columnDefinitions: options.noHeaders ? null : columns,
      rows: objects.map(o => ({
        cells: cells(o),
        object: rowObject(o, options.includeObject ?? 'Metadata'),
      })),
    };
  }

  private printer(
    type: ResourceType,
    now: number,
    age: (t?: string) => string,
  ): { columns: ColumnDefinition[]; cells: (o: KubeObject) => Cell[] } {
    const builtin = BUILTIN_PRINTERS[`${type.group}/${type.kind}`];
    if (builtin && !type.schema) {
      return { columns: builtin.columns, cells: o => builtin.cells(o, age) };
    }
    const custom =
      type.kind === 'ClusterServiceVersion' && !type.schema
        ? CSV_COLUMNS
        : loadPrinterColumns(this.crdDir).get(
            `${type.group}/${type.version}/${type.kind}`,
          );
    if (!custom) {
      return {
        columns: [NAME_COLUMN, AGE],
        cells: o => [o.metadata.name, age(o.metadata.creationTimestamp)],
      };
    }
    return {
      columns: [
        NAME_COLUMN,
        ...custom.map(c => ({
          name: c.name,
          type: c.type,
          format: c.format ?? '',
          description: c.description ?? '',
          priority: c.priority ?? 0,
        })),
      ],
      cells: o => [o.metadata.name, ...custom.map(c => cellFor(c, o, now))],
    };
  }
}
