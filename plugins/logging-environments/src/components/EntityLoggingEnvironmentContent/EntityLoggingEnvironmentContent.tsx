import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  ApplicationRole,
  EnvironmentRef,
  LOGGING_ANNOTATIONS,
  readEnvironmentRef,
} from '@internal/plugin-logging-environments-common';
import { useCallback, useState } from 'react';
import { useEnvironment } from '../../hooks';
import { ApprovalsCard } from '../ApprovalsCard';
import { ChecklistCard } from '../ChecklistCard';
import { EnvironmentDetails } from '../EnvironmentDetails';
import { FailureSummary, failuresOf } from '../FailureSummary';
import { HistoryTable } from '../HistoryTable';
import { MissingSetup } from '../MissingSetup';
import { PhaseHeader } from '../PhaseHeader';
import { SyncCard } from '../SyncCard';
import { WaveTimeline } from '../WaveTimeline';

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

function isNotFound(error: Error): boolean {
  return (
    error.name === 'ResponseError' &&
    (error as Error & { statusCode?: number }).statusCode === 404
  );
}

const EnvironmentPage = ({ environment }: { environment: EnvironmentRef }) => {
  const { value, loading, error, refresh, tick } = useEnvironment(
    environment.entityRef,
  );
  // After the user's own action, re-read the history too.
  const [actions, setActions] = useState(0);
  const onChanged = useCallback(() => {
    refresh();
    setActions(n => n + 1);
  }, [refresh]);

  if (loading) return <Progress />;
  if (!value) {
    if (error && isNotFound(error)) {
      return (
        <EmptyState
          missing="info"
          title="The backend does not know this environment yet"
          description={`The Logging Environments backend found no environment ${environment.entityRef}. It reads environments from the catalog: wait for the catalog to process the entity, then reload.`}
        />
      );
    }
    return <ResponseErrorPanel error={error ?? new Error('No data')} />;
  }

  const urls: Partial<Record<ApplicationRole, string>> = {};
  for (const app of value.applications) if (app.url) urls[app.role] = app.url;
  return (
    <Grid container spacing={3}>
      {failuresOf(value).length > 0 && (
        <Grid item xs={12}>
          <FailureSummary environment={value} />
        </Grid>
      )}
      {error && (
        <Grid item xs={12}>
          <WarningPanel
            severity="warning"
            title="Could not refresh; showing the last known state"
            message={error.message}
          />
        </Grid>
      )}
      <Grid item xs={12}>
        <PhaseHeader policy={value.policy} phase={value.phase} />
      </Grid>
      <Grid item xs={12} lg={6}>
        <ChecklistCard environment={value} onChanged={onChanged} />
      </Grid>
      <Grid item xs={12} lg={6}>
        <ApprovalsCard environment={value} onChanged={onChanged} />
      </Grid>
      <Grid item xs={12} md={6}>
        <SyncCard environment={value} onChanged={onChanged} />
      </Grid>
      <Grid item xs={12} md={6}>
        <EnvironmentDetails environment={environment} applicationUrls={urls} />
      </Grid>
      <Grid item xs={12}>
        <Typography variant="h5" component="h2" gutterBottom>
          Waves
        </Typography>
        <WaveTimeline applications={value.applications} />
      </Grid>
      <Grid item xs={12}>
        <HistoryTable entityRef={value.entityRef} tick={tick + actions} />
      </Grid>
    </Grid>
  );
};

/**
 * The Logging tab of a logging-environment entity: phases and tier policy,
 * checklist, approvals, sync, wave status and history, kept live.
 *
 * @public
 */
export const EntityLoggingEnvironmentContent = () => {
  const { entity } = useEntity();
  const ref = readEnvironmentRef(entity);
  if (!ref.ok) {
    return (
      <MissingSetup
        title="This logging environment is not set up"
        problems={ref.problems}
        example={SETUP_EXAMPLE}
      />
    );
  }
  return <EnvironmentPage environment={ref.value} />;
};
