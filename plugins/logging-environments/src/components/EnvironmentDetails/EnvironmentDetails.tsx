import {
  InfoCard,
  Link,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { EnvironmentRef } from '@internal/plugin-logging-environments-common';
import { ClusterSummary } from '../../api';

/** @internal */
export interface EnvironmentDetailsProps {
  environment: EnvironmentRef;
  /** The environment's cluster as the backend knows it, when it does. */
  cluster?: ClusterSummary;
}

function argocdLink(
  cluster: ClusterSummary | undefined,
  ns: string,
  app: string,
) {
  if (!cluster?.argocdUrl) return app;
  const url = `${cluster.argocdUrl.replace(
    /\/+$/,
    '',
  )}/applications/${ns}/${app}`;
  return (
    <Link to={url} aria-label={`Open ${app} in Argo CD`}>
      {app}
    </Link>
  );
}

/**
 * What the environment is made of, as its annotations say.
 *
 * @internal
 */
export const EnvironmentDetails = ({
  environment,
  cluster,
}: EnvironmentDetailsProps) => {
  const { applications, argocdNamespace } = environment;
  const metadata: Record<string, unknown> = {
    tier: environment.tier,
    cluster: environment.cluster,
    'logging namespace': environment.namespace,
    'infrastructure application': argocdLink(
      cluster,
      argocdNamespace,
      applications.infrastructure,
    ),
    'forwarder application': argocdLink(
      cluster,
      argocdNamespace,
      applications.forwarder,
    ),
  };
  if (environment.bucket) metadata.bucket = environment.bucket;
  if (environment.region) metadata.region = environment.region;
  if (environment.secret)
    metadata['Secrets Manager secret'] = environment.secret;
  if (environment.gitopsPath) metadata['GitOps path'] = environment.gitopsPath;
  if (environment.requester) {
    metadata.requester = (
      <EntityRefLink entityRef={environment.requester} defaultKind="user" />
    );
  }
  return (
    <InfoCard title="Environment">
      <StructuredMetadataTable metadata={metadata} />
    </InfoCard>
  );
};
