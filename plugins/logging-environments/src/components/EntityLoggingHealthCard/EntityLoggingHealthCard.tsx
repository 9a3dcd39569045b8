import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import {
  KUBERNETES_NAMESPACE_ANNOTATION,
  LOGGING_ANNOTATIONS,
} from '@internal/plugin-logging-environments-common';
import { MissingSetup } from '../MissingSetup';

const SETUP_EXAMPLE = `metadata:
  annotations:
    ${LOGGING_ANNOTATIONS.environment}: resource:default/acme-prod
    ${KUBERNETES_NAMESPACE_ANNOTATION}: checkout`;

/**
 * The logging-health card of a service.
 *
 * @public
 */
export const EntityLoggingHealthCard = () => {
  const { entity } = useEntity();
  const annotations = entity.metadata.annotations ?? {};
  const environmentRef = annotations[LOGGING_ANNOTATIONS.environment];

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

  return (
    <InfoCard title="Logging">
      <StructuredMetadataTable
        metadata={{
          'logs go to': (
            <EntityRefLink entityRef={environmentRef} defaultKind="resource" />
          ),
          namespace:
            annotations[KUBERNETES_NAMESPACE_ANNOTATION] ?? 'not annotated',
        }}
      />
    </InfoCard>
  );
};
