import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import {
  DEFAULT_TIER_POLICIES,
  LOGGING_ANNOTATIONS,
  readEnvironmentRef,
} from '@internal/plugin-logging-environments-common';
import useAsync from 'react-use/esm/useAsync';
import { loggingEnvironmentsApiRef } from '../../api';
import { EnvironmentDetails } from '../EnvironmentDetails';
import { MissingSetup } from '../MissingSetup';
import { PhaseHeader } from '../PhaseHeader';

const SETUP_EXAMPLE = `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: acme-prod
  annotations:
    ${LOGGING_ANNOTATIONS.cluster}: sandbox
    ${LOGGING_ANNOTATIONS.tier}: production
    ${LOGGING_ANNOTATIONS.argocdApps}: acme-prod-logging-infrastructure,acme-prod-logging-forwarder
spec:
  type: logging-environment
  owner: group:default/platform-team`;

/**
 * The Logging tab of a logging-environment entity.
 *
 * @public
 */
export const EntityLoggingEnvironmentContent = () => {
  const { entity } = useEntity();
  const api = useApi(loggingEnvironmentsApiRef);
  const ref = readEnvironmentRef(entity);
  const clusters = useAsync(() => api.listClusters(), [api]);

  if (!ref.ok) {
    return (
      <MissingSetup
        title="This logging environment is not set up"
        problems={ref.problems}
        example={SETUP_EXAMPLE}
      />
    );
  }
  if (clusters.loading) return <Progress />;
  if (clusters.error) return <ResponseErrorPanel error={clusters.error} />;

  const environment = ref.value;
  const cluster = clusters.value?.find(c => c.name === environment.cluster);
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <PhaseHeader policy={DEFAULT_TIER_POLICIES[environment.tier]} />
      </Grid>
      <Grid item xs={12} md={6}>
        <EnvironmentDetails environment={environment} cluster={cluster} />
      </Grid>
    </Grid>
  );
};
