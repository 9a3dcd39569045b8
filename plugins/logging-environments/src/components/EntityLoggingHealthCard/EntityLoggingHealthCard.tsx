import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  KUBERNETES_NAMESPACE_ANNOTATION,
  LOGGING_ANNOTATIONS,
  ServiceHealth,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import { useCallback } from 'react';
import { loggingEnvironmentsApiRef } from '../../api';
import { useLiveUpdates, useLoader } from '../../hooks';
import { MissingSetup } from '../MissingSetup';
import { StateChip } from '../StateChip';
import { Timestamp } from '../Timestamp';

const SETUP_EXAMPLE = `metadata:
  annotations:
    ${LOGGING_ANNOTATIONS.environment}: resource:default/acme-prod
    ${KUBERNETES_NAMESPACE_ANNOTATION}: checkout`;

const Health = ({
  of,
  health,
}: {
  of: string;
  health: { health: string; message?: string };
}) => (
  <>
    <StateChip state={health.health} label={`${of} health`} />
    {health.message && (
      <Typography variant="caption" display="block" color="textSecondary">
        {health.message}
      </Typography>
    )}
  </>
);

function metadataOf(health: ServiceHealth, namespace: string | undefined) {
  const ns = health.namespace ?? namespace;
  const metadata: Record<string, unknown> = {
    LokiStack: <Health of="LokiStack" health={health.lokiStack} />,
    forwarder: <Health of="ClusterLogForwarder" health={health.forwarder} />,
    namespace: ns ? (
      <>
        {ns} <StateChip state={health.collected} label={`Namespace ${ns}`} />
      </>
    ) : (
      `not annotated (${KUBERNETES_NAMESPACE_ANNOTATION})`
    ),
    'last sync': health.lastSync ? (
      <>
        {health.lastSync.phase && (
          <StateChip state={health.lastSync.phase} label="Last sync" />
        )}{' '}
        {health.lastSync.revision &&
          `revision ${shortRevision(health.lastSync.revision)} `}
        {health.lastSync.finishedAt && (
          <Timestamp value={health.lastSync.finishedAt} />
        )}
      </>
    ) : (
      'never'
    ),
  };
  return metadata;
}

/**
 * The logging-health card of a service: where its logs go, whether that
 * environment's LokiStack and forwarder are healthy, whether the service's
 * namespace is collected, the last sync, and links.
 *
 * @public
 */
export const EntityLoggingHealthCard = () => {
  const { entity } = useEntity();
  const api = useApi(loggingEnvironmentsApiRef);
  const annotations = entity.metadata.annotations ?? {};
  const environmentRef = annotations[LOGGING_ANNOTATIONS.environment];
  const serviceRef = stringifyEntityRef(entity);
  const tick = useLiveUpdates(environmentRef);
  const load = useCallback(
    () => api.getServiceHealth(serviceRef),
    [api, serviceRef],
  );
  // A card without the annotation never asks the backend.
  const skip = useCallback(async () => undefined, []);
  const { value, loading, error } = useLoader(
    environmentRef ? load : skip,
    tick,
  );

  if (!environmentRef) {
    return (
      <InfoCard title="Logging">
        <MissingSetup
          title="This service does not name its logging environment"
          problems={[
            `annotation ${LOGGING_ANNOTATIONS.environment} is missing`,
          ]}
          example={SETUP_EXAMPLE}
        />
      </InfoCard>
    );
  }

  const links = value?.links ?? {};
  return (
    <InfoCard
      title="Logging"
      deepLink={
        links.environment
          ? { title: 'Open the environment', link: links.environment }
          : undefined
      }
    >
      <StructuredMetadataTable
        metadata={{
          'logs go to': (
            <>
              <EntityRefLink
                entityRef={environmentRef}
                defaultKind="resource"
              />
              {value?.environment &&
                ` (${value.environment.tier}, cluster ${value.environment.cluster})`}
            </>
          ),
          ...(value
            ? metadataOf(value, annotations[KUBERNETES_NAMESPACE_ANNOTATION])
            : {
                namespace:
                  annotations[KUBERNETES_NAMESPACE_ANNOTATION] ??
                  'not annotated',
              }),
        }}
      />
      {loading && <Progress />}
      {error && (
        <ResponseErrorPanel
          error={error}
          title="Could not read the logging health"
        />
      )}
      {links.logs && (
        <Box mt={1}>
          <Link to={links.logs}>
            Open the logs of {value?.namespace ?? 'the namespace'} in the
            cluster console
          </Link>
        </Box>
      )}
    </InfoCard>
  );
};
