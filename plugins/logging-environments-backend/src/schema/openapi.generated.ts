// Generated from openapi.yaml by `yarn workspace @internal/plugin-logging-environments-backend openapi:generate`.
// Do not edit: change openapi.yaml and generate again.
/* eslint-disable */
import { createValidatedOpenApiRouterFromGeneratedEndpointMap } from '@backstage/backend-openapi-utils';

export const spec = {
  openapi: '3.0.3',
  info: {
    title: 'logging-environments',
    version: '1',
    description:
      "Phase 2 (checklist, approvals) and phase 3 (GitOps sync, wave status) of the Logging Environments plugins. Every route needs a signed-in user (or a service token); what a caller may see and do is decided by the logging.environment.* permissions and the tier's approval rules.",
    license: {
      name: 'Apache-2.0',
    },
  },
  servers: [
    {
      url: '/',
    },
  ],
  paths: {
    '/health': {
      get: {
        operationId: 'GetHealth',
        description:
          "Unauthenticated, for probes. 503 until every configured cluster's watch caches had their first list (or their first attempt failed); then 200, naming the clusters that cannot be reached.",
        security: [],
        responses: {
          '200': {
            description:
              'The plugin serves: `ok`, or `degraded` with the unreachable clusters (their last known state is served while they retry).',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['status', 'clusters', 'unreachable'],
                  properties: {
                    status: {
                      type: 'string',
                      enum: ['ok', 'degraded'],
                    },
                    clusters: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['name', 'state'],
                        properties: {
                          name: {
                            type: 'string',
                          },
                          state: {
                            type: 'string',
                            enum: ['ready', 'starting', 'unreachable'],
                          },
                        },
                      },
                    },
                    unreachable: {
                      type: 'array',
                      items: {
                        type: 'string',
                      },
                    },
                  },
                },
              },
            },
          },
          '503': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/clusters': {
      get: {
        operationId: 'ListClusters',
        responses: {
          '200': {
            description:
              'The clusters environments can be created on (names and links, never credentials).',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items'],
                  properties: {
                    items: {
                      type: 'array',
                      items: {
                        $ref: '#/components/schemas/Cluster',
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    '/environments': {
      get: {
        operationId: 'ListEnvironments',
        parameters: [
          {
            name: 'owner',
            in: 'query',
            schema: {
              type: 'string',
              maxLength: 253,
            },
          },
          {
            name: 'tier',
            in: 'query',
            schema: {
              $ref: '#/components/schemas/Tier',
            },
          },
          {
            name: 'limit',
            in: 'query',
            description: 'Page size (default 100).',
            schema: {
              type: 'integer',
              minimum: 1,
              maximum: 500,
            },
          },
          {
            name: 'offset',
            in: 'query',
            description: 'How many environments to skip, in entity ref order.',
            schema: {
              type: 'integer',
              minimum: 0,
            },
          },
        ],
        responses: {
          '200': {
            description:
              'The environments the caller may read, one page of them in entity ref order.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items', 'totalItems'],
                  properties: {
                    items: {
                      type: 'array',
                      items: {
                        $ref: '#/components/schemas/EnvironmentListItem',
                      },
                    },
                    totalItems: {
                      description:
                        'How many environments the caller may read in all.',
                      type: 'integer',
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    '/environments/{namespace}/{name}': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      get: {
        operationId: 'GetEnvironment',
        responses: {
          '200': {
            description: 'One environment.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/EnvironmentDetails',
                },
              },
            },
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            description:
              'No such entity, or an entity without a trusted record (not a registered environment).',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/Error',
                },
              },
            },
          },
          '409': {
            description:
              "The entity disagrees with its environment's record; nothing acts on it.",
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/Error',
                },
              },
            },
          },
        },
      },
    },
    '/environments/{namespace}/{name}/checklist': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      post: {
        operationId: 'RunChecklist',
        responses: {
          '200': {
            description: 'The checklist run, stored.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/ChecklistRun',
                },
              },
            },
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/environments/{namespace}/{name}/approvals': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      post: {
        operationId: 'DecideApproval',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['decision', 'comment'],
                properties: {
                  decision: {
                    type: 'string',
                    enum: ['approve', 'reject'],
                  },
                  role: {
                    type: 'string',
                    pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
                  },
                  comment: {
                    description:
                      'Free text; no control characters or bidirectional overrides.',
                    type: 'string',
                    maxLength: 2000,
                    pattern:
                      '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F\\u202A-\\u202E\\u2066-\\u2069]*$',
                  },
                  revision: {
                    description:
                      'The revision the caller saw; a different current revision is a 409.',
                    type: 'string',
                    pattern: '^[0-9a-f]{7,64}$',
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description:
              'The decision was recorded; the gate as it now stands.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/ApprovalState',
                },
              },
            },
          },
          '400': {
            $ref: '#/components/responses/Error',
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
          '409': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/environments/{namespace}/{name}/sync': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      post: {
        operationId: 'StartSync',
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  revision: {
                    description:
                      'The revision the caller confirmed; a different approved revision is a 409.',
                    type: 'string',
                    pattern: '^[0-9a-f]{7,64}$',
                  },
                },
              },
            },
          },
        },
        responses: {
          '202': {
            description: 'The sync run was started.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/SyncRun',
                },
              },
            },
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
          '409': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/environments/{namespace}/{name}/history': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      get: {
        operationId: 'GetHistory',
        parameters: [
          {
            name: 'limit',
            in: 'query',
            schema: {
              type: 'integer',
              minimum: 1,
              maximum: 500,
            },
          },
        ],
        responses: {
          '200': {
            description: 'The audit trail, newest first.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items'],
                  properties: {
                    items: {
                      type: 'array',
                      items: {
                        $ref: '#/components/schemas/HistoryEvent',
                      },
                    },
                  },
                },
              },
            },
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/records': {
      post: {
        operationId: 'ClaimEnvironment',
        description:
          "The bootstrap's first step: claims a new environment's trusted record for the caller (who becomes its requester), or confirms that the caller may re-run an existing environment's bootstrap with the same choices. With dryRun nothing is written.",
        parameters: [
          {
            name: 'dryRun',
            in: 'query',
            schema: {
              type: 'boolean',
            },
          },
          {
            $ref: '#/components/parameters/taskId',
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: [
                  'name',
                  'tier',
                  'cluster',
                  'owner',
                  'region',
                  'bucket',
                ],
                properties: {
                  name: {
                    type: 'string',
                    maxLength: 63,
                  },
                  tier: {
                    type: 'string',
                    maxLength: 32,
                  },
                  cluster: {
                    type: 'string',
                    maxLength: 253,
                  },
                  owner: {
                    type: 'string',
                    maxLength: 253,
                  },
                  region: {
                    type: 'string',
                    maxLength: 32,
                  },
                  bucket: {
                    type: 'string',
                    maxLength: 63,
                  },
                  approverGroups: {
                    type: 'array',
                    maxItems: 20,
                    items: {
                      type: 'string',
                      maxLength: 253,
                    },
                  },
                  requester: {
                    description:
                      'Administrators only, when adopting an environment.',
                    type: 'string',
                    maxLength: 253,
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description:
              'An existing environment the caller may re-run the bootstrap of.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/ClaimResult',
                },
              },
            },
          },
          '201': {
            description:
              "The new environment's record (not written with dryRun).",
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/ClaimResult',
                },
              },
            },
          },
          '400': {
            $ref: '#/components/responses/Error',
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '409': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/records/{namespace}/{name}': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      patch: {
        operationId: 'ChangeRecord',
        description:
          "An administrator's change of tier, owner, requester or approver groups.",
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['reason'],
                properties: {
                  tier: {
                    type: 'string',
                    maxLength: 32,
                  },
                  owner: {
                    type: 'string',
                    maxLength: 253,
                  },
                  requester: {
                    type: 'string',
                    maxLength: 253,
                  },
                  approverGroups: {
                    type: 'array',
                    maxItems: 20,
                    items: {
                      type: 'string',
                      maxLength: 253,
                    },
                  },
                  reason: {
                    type: 'string',
                    minLength: 1,
                    maxLength: 2000,
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The changed record.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/EnvironmentRecord',
                },
              },
            },
          },
          '400': {
            $ref: '#/components/responses/Error',
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
          '409': {
            $ref: '#/components/responses/Error',
          },
        },
      },
      delete: {
        operationId: 'ReleaseRecord',
        description:
          'An administrator releases a record (e.g. an abandoned claim).',
        parameters: [
          {
            name: 'reason',
            in: 'query',
            required: true,
            schema: {
              type: 'string',
              minLength: 1,
              maxLength: 2000,
            },
          },
        ],
        responses: {
          '204': {
            description: 'Released.',
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/records/{namespace}/{name}/steps': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      post: {
        operationId: 'CheckBootstrapStep',
        description:
          "Checks a bootstrap step the caller is about to run and returns the record: only its requester, members of its owner group and administrators may run its bootstrap; the step's facts and the objects it applies must be what the record implies; a rotation of a staging or production environment's credentials is an administrator's. Every answer is an audit event.",
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['action'],
                properties: {
                  action: {
                    type: 'string',
                    pattern: '^logging:[a-z:-]+$',
                    maxLength: 100,
                  },
                  facts: {
                    type: 'object',
                    additionalProperties: false,
                    properties: {
                      cluster: {
                        type: 'string',
                        maxLength: 253,
                      },
                      region: {
                        type: 'string',
                        maxLength: 32,
                      },
                      bucket: {
                        type: 'string',
                        maxLength: 63,
                      },
                      secretName: {
                        type: 'string',
                        maxLength: 512,
                      },
                    },
                  },
                  manifests: {
                    type: 'array',
                    maxItems: 20,
                    items: {
                      type: 'object',
                    },
                  },
                  rotate: {
                    type: 'boolean',
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The step may run; the record.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/EnvironmentRecord',
                },
              },
            },
          },
          '400': {
            $ref: '#/components/responses/Error',
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
          '409': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/records/{namespace}/{name}/applications': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      post: {
        operationId: 'BindApplications',
        description:
          "Binds the environment's registered Argo CD Applications to its record after the backend read them from the cluster and checked them against what the template renders.",
        parameters: [
          {
            $ref: '#/components/parameters/taskId',
          },
        ],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The record, registered.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/EnvironmentRecord',
                },
              },
            },
          },
          '403': {
            $ref: '#/components/responses/Error',
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
          '409': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
    '/services/{namespace}/{kind}/{name}/health': {
      parameters: [
        {
          $ref: '#/components/parameters/namespace',
        },
        {
          name: 'kind',
          in: 'path',
          required: true,
          schema: {
            type: 'string',
            pattern: '^[A-Za-z][A-Za-z0-9]{0,62}$',
          },
        },
        {
          $ref: '#/components/parameters/name',
        },
      ],
      get: {
        operationId: 'GetServiceHealth',
        responses: {
          '200': {
            description: 'The logging health of a service.',
            content: {
              'application/json': {
                schema: {
                  $ref: '#/components/schemas/ServiceHealth',
                },
              },
            },
          },
          '404': {
            $ref: '#/components/responses/Error',
          },
        },
      },
    },
  },
  components: {
    parameters: {
      namespace: {
        name: 'namespace',
        in: 'path',
        required: true,
        schema: {
          type: 'string',
          pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
        },
      },
      name: {
        name: 'name',
        in: 'path',
        required: true,
        schema: {
          type: 'string',
          pattern: '^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$',
        },
      },
      taskId: {
        name: 'taskId',
        in: 'query',
        description:
          "The scaffolder task running the bootstrap, linked from the history entry. Only the scaffolder, calling on the user's behalf, may name one; anyone else is refused.",
        schema: {
          type: 'string',
          pattern: '^[A-Za-z0-9-]{1,64}$',
        },
      },
    },
    responses: {
      Error: {
        description: 'A Backstage error body.',
        content: {
          'application/json': {
            schema: {
              $ref: '#/components/schemas/Error',
            },
          },
        },
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['name', 'message'],
            properties: {
              name: {
                type: 'string',
              },
              message: {
                type: 'string',
              },
            },
          },
          response: {
            type: 'object',
            properties: {
              statusCode: {
                type: 'integer',
              },
            },
          },
        },
      },
      Tier: {
        type: 'string',
        enum: ['development', 'staging', 'production'],
      },
      Cluster: {
        type: 'object',
        required: ['name'],
        properties: {
          name: {
            type: 'string',
          },
          argocdUrl: {
            type: 'string',
          },
          consoleUrl: {
            type: 'string',
          },
        },
      },
      Availability: {
        type: 'object',
        required: ['allowed'],
        properties: {
          allowed: {
            type: 'boolean',
          },
          reason: {
            type: 'string',
          },
        },
      },
      RecordedApplication: {
        type: 'object',
        required: ['name'],
        properties: {
          name: {
            type: 'string',
          },
          uid: {
            type: 'string',
          },
        },
      },
      EnvironmentRecord: {
        type: 'object',
        required: [
          'entityRef',
          'name',
          'tier',
          'cluster',
          'namespace',
          'argocdNamespace',
          'project',
          'applications',
          'owner',
          'requester',
          'region',
          'bucket',
          'secret',
          'gitopsPath',
          'extraApprovers',
          'state',
          'createdAt',
          'updatedAt',
          'updatedBy',
        ],
        properties: {
          entityRef: {
            type: 'string',
          },
          name: {
            type: 'string',
          },
          tier: {
            $ref: '#/components/schemas/Tier',
          },
          cluster: {
            type: 'string',
          },
          namespace: {
            type: 'string',
          },
          argocdNamespace: {
            type: 'string',
          },
          project: {
            type: 'string',
          },
          applications: {
            type: 'object',
            required: ['infrastructure', 'forwarder'],
            properties: {
              infrastructure: {
                $ref: '#/components/schemas/RecordedApplication',
              },
              forwarder: {
                $ref: '#/components/schemas/RecordedApplication',
              },
            },
          },
          owner: {
            type: 'string',
          },
          requester: {
            type: 'string',
          },
          region: {
            type: 'string',
          },
          bucket: {
            type: 'string',
          },
          secret: {
            type: 'string',
          },
          gitopsPath: {
            type: 'string',
          },
          extraApprovers: {
            type: 'object',
            additionalProperties: {
              type: 'array',
              items: {
                type: 'string',
              },
            },
          },
          state: {
            type: 'string',
            enum: ['bootstrapping', 'registered'],
          },
          createdAt: {
            type: 'string',
          },
          updatedAt: {
            type: 'string',
          },
          updatedBy: {
            type: 'string',
          },
        },
      },
      ClaimResult: {
        type: 'object',
        required: ['record', 'created'],
        properties: {
          record: {
            $ref: '#/components/schemas/EnvironmentRecord',
          },
          created: {
            type: 'boolean',
          },
        },
      },
      RequiredApproval: {
        type: 'object',
        required: ['role', 'title', 'group'],
        properties: {
          role: {
            type: 'string',
          },
          title: {
            type: 'string',
          },
          group: {
            type: 'string',
          },
          extendable: {
            type: 'boolean',
          },
        },
      },
      TierPolicy: {
        type: 'object',
        required: [
          'tier',
          'requiredApprovals',
          'distinctApprovers',
          'requesterMayApprove',
          'syncMode',
          'rollbackOnFailure',
        ],
        properties: {
          tier: {
            $ref: '#/components/schemas/Tier',
          },
          requiredApprovals: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/RequiredApproval',
            },
          },
          distinctApprovers: {
            type: 'boolean',
          },
          requesterMayApprove: {
            type: 'boolean',
          },
          syncMode: {
            type: 'string',
            enum: ['automatic', 'manual'],
          },
          rollbackOnFailure: {
            type: 'boolean',
          },
        },
      },
      ChecklistItem: {
        type: 'object',
        required: ['id', 'title', 'status', 'message', 'evidence', 'checkedAt'],
        properties: {
          id: {
            type: 'string',
          },
          title: {
            type: 'string',
          },
          status: {
            type: 'string',
            enum: ['pass', 'fail', 'warn', 'unknown'],
          },
          message: {
            type: 'string',
          },
          evidence: {
            type: 'object',
            additionalProperties: {
              oneOf: [
                {
                  type: 'string',
                },
                {
                  type: 'number',
                },
                {
                  type: 'boolean',
                },
              ],
            },
          },
          checkedAt: {
            type: 'string',
          },
        },
      },
      ChecklistRun: {
        type: 'object',
        required: ['id', 'items', 'status', 'startedAt', 'finishedAt'],
        properties: {
          id: {
            type: 'string',
          },
          items: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/ChecklistItem',
            },
          },
          status: {
            type: 'string',
            enum: ['pass', 'fail', 'warn', 'unknown'],
          },
          startedAt: {
            type: 'string',
          },
          finishedAt: {
            type: 'string',
          },
          revision: {
            type: 'string',
          },
        },
      },
      Approval: {
        type: 'object',
        required: [
          'id',
          'decision',
          'role',
          'actor',
          'comment',
          'revision',
          'createdAt',
        ],
        properties: {
          id: {
            type: 'string',
          },
          decision: {
            type: 'string',
            enum: ['approve', 'reject'],
          },
          role: {
            type: 'string',
          },
          actor: {
            type: 'string',
          },
          comment: {
            type: 'string',
          },
          revision: {
            type: 'string',
          },
          createdAt: {
            type: 'string',
          },
          voidedReason: {
            type: 'string',
          },
        },
      },
      RequiredApprovalStatus: {
        type: 'object',
        required: ['role', 'title', 'groups'],
        properties: {
          role: {
            type: 'string',
          },
          title: {
            type: 'string',
          },
          groups: {
            type: 'array',
            items: {
              type: 'string',
            },
          },
          approval: {
            $ref: '#/components/schemas/Approval',
          },
        },
      },
      ApprovalState: {
        type: 'object',
        required: ['required', 'decisions', 'complete'],
        properties: {
          revision: {
            type: 'string',
          },
          required: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/RequiredApprovalStatus',
            },
          },
          decisions: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/Approval',
            },
          },
          complete: {
            type: 'boolean',
          },
          rejected: {
            $ref: '#/components/schemas/Approval',
          },
        },
      },
      SyncRun: {
        type: 'object',
        required: [
          'id',
          'state',
          'revision',
          'requestedBy',
          'startedAt',
          'updatedAt',
        ],
        properties: {
          id: {
            type: 'string',
          },
          state: {
            type: 'string',
            enum: [
              'pending',
              'syncing-infrastructure',
              'waiting-infrastructure',
              'syncing-forwarder',
              'waiting-forwarder',
              'rolling-back',
              'succeeded',
              'failed',
              'blocked',
            ],
          },
          revision: {
            type: 'string',
          },
          requestedBy: {
            type: 'string',
          },
          startedAt: {
            type: 'string',
          },
          updatedAt: {
            type: 'string',
          },
          message: {
            type: 'string',
          },
        },
      },
      WaveResource: {
        type: 'object',
        required: ['kind', 'name'],
        properties: {
          kind: {
            type: 'string',
          },
          name: {
            type: 'string',
          },
          namespace: {
            type: 'string',
          },
          syncStatus: {
            type: 'string',
          },
          health: {
            type: 'string',
          },
          healthSource: {
            type: 'string',
            enum: [
              'application',
              'resource-tree',
              'live',
              'application-health',
            ],
          },
          message: {
            type: 'string',
          },
        },
      },
      WaveStatus: {
        type: 'object',
        required: ['wave', 'state', 'resources'],
        properties: {
          wave: {
            type: 'integer',
          },
          step: {
            type: 'object',
            properties: {
              id: {
                type: 'string',
              },
              title: {
                type: 'string',
              },
              kind: {
                type: 'string',
              },
            },
          },
          state: {
            type: 'string',
            enum: [
              'pending',
              'running',
              'unknown',
              'healthy',
              'degraded',
              'failed',
            ],
          },
          resources: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/WaveResource',
            },
          },
        },
      },
      ApplicationStatus: {
        type: 'object',
        required: ['role', 'name', 'waves'],
        properties: {
          role: {
            type: 'string',
            enum: ['infrastructure', 'forwarder'],
          },
          name: {
            type: 'string',
          },
          syncStatus: {
            type: 'string',
          },
          health: {
            type: 'string',
          },
          revision: {
            type: 'string',
          },
          revisions: {
            type: 'array',
            items: {
              type: 'string',
            },
          },
          operationPhase: {
            type: 'string',
          },
          operationMessage: {
            type: 'string',
          },
          problems: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/ApplicationProblem',
            },
          },
          url: {
            type: 'string',
          },
          waves: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/WaveStatus',
            },
          },
        },
      },
      ApplicationProblem: {
        type: 'object',
        required: ['type', 'severity', 'message'],
        properties: {
          type: {
            type: 'string',
          },
          severity: {
            type: 'string',
            enum: ['error', 'warning'],
          },
          message: {
            type: 'string',
          },
        },
      },
      EnvironmentListItem: {
        type: 'object',
        required: [
          'entityRef',
          'name',
          'tier',
          'cluster',
          'phase',
          'policy',
          'approvalsComplete',
          'waves',
        ],
        properties: {
          entityRef: {
            type: 'string',
          },
          name: {
            type: 'string',
          },
          title: {
            type: 'string',
          },
          owner: {
            type: 'string',
          },
          tier: {
            $ref: '#/components/schemas/Tier',
          },
          cluster: {
            type: 'string',
          },
          phase: {
            type: 'string',
            enum: ['bootstrap', 'verify', 'sync', 'live'],
          },
          policy: {
            $ref: '#/components/schemas/TierPolicy',
          },
          approvalsComplete: {
            type: 'boolean',
          },
          waves: {
            description: 'Per Application, the state of its waves in order.',
            type: 'object',
            additionalProperties: {
              type: 'array',
              items: {
                type: 'string',
              },
            },
          },
        },
      },
      EnvironmentDetails: {
        type: 'object',
        required: [
          'entityRef',
          'name',
          'tier',
          'cluster',
          'phase',
          'policy',
          'namespace',
          'approvals',
          'applications',
          'can',
        ],
        properties: {
          entityRef: {
            type: 'string',
          },
          name: {
            type: 'string',
          },
          title: {
            type: 'string',
          },
          owner: {
            type: 'string',
          },
          tier: {
            $ref: '#/components/schemas/Tier',
          },
          cluster: {
            type: 'string',
          },
          phase: {
            type: 'string',
            enum: ['bootstrap', 'verify', 'sync', 'live'],
          },
          policy: {
            $ref: '#/components/schemas/TierPolicy',
          },
          namespace: {
            type: 'string',
          },
          requester: {
            type: 'string',
          },
          record: {
            type: 'object',
            required: [
              'state',
              'argocdNamespace',
              'applications',
              'region',
              'bucket',
              'secret',
              'gitopsPath',
              'extraApprovers',
            ],
            properties: {
              state: {
                type: 'string',
                enum: ['bootstrapping', 'registered'],
              },
              argocdNamespace: {
                type: 'string',
              },
              applications: {
                type: 'object',
                required: ['infrastructure', 'forwarder'],
                properties: {
                  infrastructure: {
                    type: 'string',
                  },
                  forwarder: {
                    type: 'string',
                  },
                },
              },
              region: {
                type: 'string',
              },
              bucket: {
                type: 'string',
              },
              secret: {
                type: 'string',
              },
              gitopsPath: {
                type: 'string',
              },
              extraApprovers: {
                type: 'object',
                additionalProperties: {
                  type: 'array',
                  items: {
                    type: 'string',
                  },
                },
              },
            },
          },
          checklist: {
            $ref: '#/components/schemas/ChecklistRun',
          },
          approvals: {
            $ref: '#/components/schemas/ApprovalState',
          },
          sync: {
            $ref: '#/components/schemas/SyncRun',
          },
          applications: {
            type: 'array',
            items: {
              $ref: '#/components/schemas/ApplicationStatus',
            },
          },
          can: {
            type: 'object',
            required: ['runChecklist', 'approve', 'reject', 'sync'],
            properties: {
              runChecklist: {
                $ref: '#/components/schemas/Availability',
              },
              approve: {
                $ref: '#/components/schemas/Availability',
              },
              reject: {
                $ref: '#/components/schemas/Availability',
              },
              sync: {
                $ref: '#/components/schemas/Availability',
              },
            },
          },
        },
      },
      HistoryEvent: {
        type: 'object',
        required: ['id', 'type', 'actor', 'at', 'message'],
        properties: {
          id: {
            type: 'string',
          },
          type: {
            type: 'string',
          },
          actor: {
            type: 'string',
          },
          at: {
            type: 'string',
          },
          message: {
            type: 'string',
          },
          details: {
            type: 'object',
            additionalProperties: {
              oneOf: [
                {
                  type: 'string',
                },
                {
                  type: 'number',
                },
                {
                  type: 'boolean',
                },
              ],
            },
          },
        },
      },
      ServiceHealth: {
        type: 'object',
        required: ['entityRef', 'collected', 'lokiStack', 'forwarder', 'links'],
        properties: {
          entityRef: {
            type: 'string',
          },
          environment: {
            type: 'object',
            required: ['entityRef', 'name', 'tier', 'cluster'],
            properties: {
              entityRef: {
                type: 'string',
              },
              name: {
                type: 'string',
              },
              tier: {
                $ref: '#/components/schemas/Tier',
              },
              cluster: {
                type: 'string',
              },
            },
          },
          namespace: {
            type: 'string',
          },
          collected: {
            type: 'string',
            enum: ['yes', 'no', 'unknown'],
          },
          lokiStack: {
            type: 'object',
            required: ['health'],
            properties: {
              health: {
                type: 'string',
              },
              message: {
                type: 'string',
              },
            },
          },
          forwarder: {
            type: 'object',
            required: ['health'],
            properties: {
              health: {
                type: 'string',
              },
              message: {
                type: 'string',
              },
            },
          },
          lastSync: {
            type: 'object',
            properties: {
              revision: {
                type: 'string',
              },
              phase: {
                type: 'string',
              },
              finishedAt: {
                type: 'string',
              },
            },
          },
          links: {
            type: 'object',
            properties: {
              environment: {
                type: 'string',
              },
              logs: {
                type: 'string',
              },
            },
          },
        },
      },
    },
  },
} as const;

export type Error = {
  error: {
    name: string;
    message: string;
  };
  response?: {
    statusCode?: number;
  };
};

export type Tier = 'development' | 'staging' | 'production';

export type Cluster = {
  name: string;
  argocdUrl?: string;
  consoleUrl?: string;
};

export type Availability = {
  allowed: boolean;
  reason?: string;
};

export type RecordedApplication = {
  name: string;
  uid?: string;
};

export type EnvironmentRecord = {
  entityRef: string;
  name: string;
  tier: Tier;
  cluster: string;
  namespace: string;
  argocdNamespace: string;
  project: string;
  applications: {
    infrastructure: RecordedApplication;
    forwarder: RecordedApplication;
  };
  owner: string;
  requester: string;
  region: string;
  bucket: string;
  secret: string;
  gitopsPath: string;
  extraApprovers: {
    [key: string]: Array<string>;
  };
  state: 'bootstrapping' | 'registered';
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
};

export type ClaimResult = {
  record: EnvironmentRecord;
  created: boolean;
};

export type RequiredApproval = {
  role: string;
  title: string;
  group: string;
  extendable?: boolean;
};

export type TierPolicy = {
  tier: Tier;
  requiredApprovals: Array<RequiredApproval>;
  distinctApprovers: boolean;
  requesterMayApprove: boolean;
  syncMode: 'automatic' | 'manual';
  rollbackOnFailure: boolean;
};

export type ChecklistItem = {
  id: string;
  title: string;
  status: 'pass' | 'fail' | 'warn' | 'unknown';
  message: string;
  evidence: {
    [key: string]: string | number | boolean;
  };
  checkedAt: string;
};

export type ChecklistRun = {
  id: string;
  items: Array<ChecklistItem>;
  status: 'pass' | 'fail' | 'warn' | 'unknown';
  startedAt: string;
  finishedAt: string;
  revision?: string;
};

export type Approval = {
  id: string;
  decision: 'approve' | 'reject';
  role: string;
  actor: string;
  comment: string;
  revision: string;
  createdAt: string;
  voidedReason?: string;
};

export type RequiredApprovalStatus = {
  role: string;
  title: string;
  groups: Array<string>;
  approval?: Approval;
};

export type ApprovalState = {
  revision?: string;
  required: Array<RequiredApprovalStatus>;
  decisions: Array<Approval>;
  complete: boolean;
  rejected?: Approval;
};

export type SyncRun = {
  id: string;
  state:
    | 'pending'
    | 'syncing-infrastructure'
    | 'waiting-infrastructure'
    | 'syncing-forwarder'
    | 'waiting-forwarder'
    | 'rolling-back'
    | 'succeeded'
    | 'failed'
    | 'blocked';
  revision: string;
  requestedBy: string;
  startedAt: string;
  updatedAt: string;
  message?: string;
};

export type WaveResource = {
  kind: string;
  name: string;
  namespace?: string;
  syncStatus?: string;
  health?: string;
  healthSource?:
    | 'application'
    | 'resource-tree'
    | 'live'
    | 'application-health';
  message?: string;
};

export type WaveStatus = {
  wave: number;
  step?: {
    id?: string;
    title?: string;
    kind?: string;
  };
  state: 'pending' | 'running' | 'unknown' | 'healthy' | 'degraded' | 'failed';
  resources: Array<WaveResource>;
};

export type ApplicationStatus = {
  role: 'infrastructure' | 'forwarder';
  name: string;
  syncStatus?: string;
  health?: string;
  revision?: string;
  revisions?: Array<string>;
  operationPhase?: string;
  operationMessage?: string;
  problems?: Array<ApplicationProblem>;
  url?: string;
  waves: Array<WaveStatus>;
};

export type ApplicationProblem = {
  type: string;
  severity: 'error' | 'warning';
  message: string;
};

export type EnvironmentListItem = {
  entityRef: string;
  name: string;
  title?: string;
  owner?: string;
  tier: Tier;
  cluster: string;
  phase: 'bootstrap' | 'verify' | 'sync' | 'live';
  policy: TierPolicy;
  approvalsComplete: boolean;
  /** Per Application, the state of its waves in order. */
  waves: {
    [key: string]: Array<string>;
  };
};

export type EnvironmentDetails = {
  entityRef: string;
  name: string;
  title?: string;
  owner?: string;
  tier: Tier;
  cluster: string;
  phase: 'bootstrap' | 'verify' | 'sync' | 'live';
  policy: TierPolicy;
  namespace: string;
  requester?: string;
  record?: {
    state: 'bootstrapping' | 'registered';
    argocdNamespace: string;
    applications: {
      infrastructure: string;
      forwarder: string;
    };
    region: string;
    bucket: string;
    secret: string;
    gitopsPath: string;
    extraApprovers: {
      [key: string]: Array<string>;
    };
  };
  checklist?: ChecklistRun;
  approvals: ApprovalState;
  sync?: SyncRun;
  applications: Array<ApplicationStatus>;
  can: {
    runChecklist: Availability;
    approve: Availability;
    reject: Availability;
    sync: Availability;
  };
};

export type HistoryEvent = {
  id: string;
  type: string;
  actor: string;
  at: string;
  message: string;
  details?: {
    [key: string]: string | number | boolean;
  };
};

export type ServiceHealth = {
  entityRef: string;
  environment?: {
    entityRef: string;
    name: string;
    tier: Tier;
    cluster: string;
  };
  namespace?: string;
  collected: 'yes' | 'no' | 'unknown';
  lokiStack: {
    health: string;
    message?: string;
  };
  forwarder: {
    health: string;
    message?: string;
  };
  lastSync?: {
    revision?: string;
    phase?: string;
    finishedAt?: string;
  };
  links: {
    environment?: string;
    logs?: string;
  };
};

/** Every operation: its path parameters, query, body and 2xx response. */
export type EndpointMap = {
  /** GetHealth */
  '#get|/health': {
    response: {
      status: 'ok' | 'degraded';
      clusters: Array<{
        name: string;
        state: 'ready' | 'starting' | 'unreachable';
      }>;
      unreachable: Array<string>;
    };
  };
  /** ListClusters */
  '#get|/clusters': {
    response: {
      items: Array<Cluster>;
    };
  };
  /** ListEnvironments */
  '#get|/environments': {
    query: {
      owner?: string;
      tier?: Tier;
      /** Page size (default 100). */
      limit?: number;
      /** How many environments to skip, in entity ref order. */
      offset?: number;
    };
    response: {
      items: Array<EnvironmentListItem>;
      /** How many environments the caller may read in all. */
      totalItems: number;
    };
  };
  /** GetEnvironment */
  '#get|/environments/{namespace}/{name}': {
    path: {
      namespace: string;
      name: string;
    };
    response: EnvironmentDetails;
  };
  /** RunChecklist */
  '#post|/environments/{namespace}/{name}/checklist': {
    path: {
      namespace: string;
      name: string;
    };
    response: ChecklistRun;
  };
  /** DecideApproval */
  '#post|/environments/{namespace}/{name}/approvals': {
    path: {
      namespace: string;
      name: string;
    };
    body: {
      decision: 'approve' | 'reject';
      role?: string;
      /** Free text; no control characters or bidirectional overrides. */
      comment: string;
      /** The revision the caller saw; a different current revision is a 409. */
      revision?: string;
    };
    response: ApprovalState;
  };
  /** StartSync */
  '#post|/environments/{namespace}/{name}/sync': {
    path: {
      namespace: string;
      name: string;
    };
    body: {
      /** The revision the caller confirmed; a different approved revision is a 409. */
      revision?: string;
    };
    response: SyncRun;
  };
  /** GetHistory */
  '#get|/environments/{namespace}/{name}/history': {
    path: {
      namespace: string;
      name: string;
    };
    query: {
      limit?: number;
    };
    response: {
      items: Array<HistoryEvent>;
    };
  };
  /** ClaimEnvironment */
  '#post|/records': {
    query: {
      dryRun?: boolean;
      /** The scaffolder task running the bootstrap, linked from the history entry. Only the scaffolder, calling on the user's behalf, may name one; anyone else is refused. */
      taskId?: string;
    };
    body: {
      name: string;
      tier: string;
      cluster: string;
      owner: string;
      region: string;
      bucket: string;
      approverGroups?: Array<string>;
      /** Administrators only, when adopting an environment. */
      requester?: string;
    };
    response: ClaimResult;
  };
  /** ChangeRecord */
  '#patch|/records/{namespace}/{name}': {
    path: {
      namespace: string;
      name: string;
    };
    body: {
      tier?: string;
      owner?: string;
      requester?: string;
      approverGroups?: Array<string>;
      reason: string;
    };
    response: EnvironmentRecord;
  };
  /** ReleaseRecord */
  '#_delete|/records/{namespace}/{name}': {
    path: {
      namespace: string;
      name: string;
    };
    query: {
      reason: string;
    };
    response: void;
  };
  /** CheckBootstrapStep */
  '#post|/records/{namespace}/{name}/steps': {
    path: {
      namespace: string;
      name: string;
    };
    body: {
      action: string;
      facts?: {
        cluster?: string;
        region?: string;
        bucket?: string;
        secretName?: string;
      };
      manifests?: Array<{ [key: string]: unknown }>;
      rotate?: boolean;
    };
    response: EnvironmentRecord;
  };
  /** BindApplications */
  '#post|/records/{namespace}/{name}/applications': {
    path: {
      namespace: string;
      name: string;
    };
    query: {
      /** The scaffolder task running the bootstrap, linked from the history entry. Only the scaffolder, calling on the user's behalf, may name one; anyone else is refused. */
      taskId?: string;
    };
    body: { [key: string]: unknown };
    response: EnvironmentRecord;
  };
  /** GetServiceHealth */
  '#get|/services/{namespace}/{kind}/{name}/health': {
    path: {
      namespace: string;
      kind: string;
      name: string;
    };
    response: ServiceHealth;
  };
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
