import {
  InfoCard,
  Link,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  ApplicationRole,
  EnvironmentDetails as Details,
} from '@internal/plugin-logging-environments-common';

/** @internal */
export interface EnvironmentDetailsProps {
  environment: Details;
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
 * What the environment is made of, as its trusted record says.
 *
 * @internal
 */
export const EnvironmentDetails = ({
  environment,
  applicationUrls = {},
}: EnvironmentDetailsProps) => {
  const { record } = environment;
  const metadata: Record<string, unknown> = {
    tier: environment.tier,
    cluster: environment.cluster,
    'logging namespace': environment.namespace,
  };
  if (record) {
    metadata['infrastructure application'] = argocdLink(
      record.applications.infrastructure,
      applicationUrls.infrastructure,
    );
    metadata['forwarder application'] = argocdLink(
      record.applications.forwarder,
      applicationUrls.forwarder,
    );
    metadata.bucket = record.bucket;
    metadata.region = record.region;
    metadata['Secrets Manager secret'] = record.secret;
    metadata['GitOps path'] = record.gitopsPath;
  }
  if (environment.owner) {
    metadata.owner = (
      <EntityRefLink entityRef={environment.owner} defaultKind="group" />
    );
  }
  if (environment.requester) {
    metadata.requester = (
      <EntityRefLink entityRef={environment.requester} defaultKind="user" />
    );
  }
  const extra = Object.entries(record?.extraApprovers ?? {}).filter(
    ([, groups]) => groups.length > 0,
  );
  for (const [role, groups] of extra) {
    const title =
      environment.policy.requiredApprovals.find(r => r.role === role)?.title ??
      role;
    metadata[`also gives the ${title.toLocaleLowerCase('en-US')}`] = (
      <>
        {groups.map((g, i) => (
          <span key={g}>
            {i > 0 && ', '}
            <EntityRefLink entityRef={g} defaultKind="group" />
          </span>
        ))}
      </>
    );
  }
  return (
    <InfoCard
      title="Environment"
      subheader="As its record says: the bootstrap wrote it, only an administrator changes it"
    >
      <StructuredMetadataTable metadata={metadata} />
    </InfoCard>
  );
};
