import {
  InfoCard,
  Link,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  ApplicationRole,
  EnvironmentRef,
} from '@internal/plugin-logging-environments-common';

/** @internal */
export interface EnvironmentDetailsProps {
  environment: EnvironmentRef;
  /** Each Application's page in the Argo CD UI, when the backend knows one. */
  applicationUrls?: Partial<Record<ApplicationRole, string>>;
}

function argocdLink(app: string, url: string | undefined) {
  if (!url) return app;
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
  applicationUrls = {},
}: EnvironmentDetailsProps) => {
  const { applications } = environment;
  const metadata: Record<string, unknown> = {
    tier: environment.tier,
    cluster: environment.cluster,
    'logging namespace': environment.namespace,
    'infrastructure application': argocdLink(
      applications.infrastructure,
      applicationUrls.infrastructure,
    ),
    'forwarder application': argocdLink(
      applications.forwarder,
      applicationUrls.forwarder,
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
