import {
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { ApplicationRole } from '@internal/plugin-logging-environments-common';
import { useCallback, useState } from 'react';
import { useEnvironment } from '../../hooks';
import { ApprovalsCard } from '../ApprovalsCard';
import { ChecklistCard } from '../ChecklistCard';
import { EnvironmentDetails } from '../EnvironmentDetails';
import { FailureSummary, failuresOf } from '../FailureSummary';
import { HistoryTable } from '../HistoryTable';
import { NotRegistered } from '../NotRegistered';
import { PhaseHeader } from '../PhaseHeader';
import { SyncCard } from '../SyncCard';
import { WaveTimeline } from '../WaveTimeline';

/** The HTTP status of a backend error, and its message as the backend wrote it. */
function backendError(error: Error): { status?: number; message: string } {
  const e = error as Error & {
    statusCode?: number;
    body?: { error?: { message?: string } };
  };
  if (e.name !== 'ResponseError') return { message: error.message };
  return { status: e.statusCode, message: e.body?.error?.message ?? e.message };
}

const EnvironmentPage = ({ entityRef }: { entityRef: string }) => {
  const { value, loading, error, refresh, tick } = useEnvironment(entityRef);
  // After the user's own action, re-read the history too.
  const [actions, setActions] = useState(0);
  const onChanged = useCallback(() => {
    refresh();
    setActions(n => n + 1);
  }, [refresh]);

  if (loading) return <Progress />;
  if (!value) {
    const failure = error ? backendError(error) : undefined;
    if (failure?.status === 404) {
      return <NotRegistered reason="unregistered" message={failure.message} />;
    }
    if (failure?.status === 409) {
      return <NotRegistered reason="mismatch" message={failure.message} />;
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
        <EnvironmentDetails environment={value} applicationUrls={urls} />
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
 * checklist, approvals, sync, wave status and history, kept live. What it
 * shows comes from the environment's trusted record in the backend; an
 * entity without one, or one that disagrees with it, is shown as such.
 *
 * @public
 */
export const EntityLoggingEnvironmentContent = () => {
  const { entity } = useEntity();
  return <EnvironmentPage entityRef={stringifyEntityRef(entity)} />;
};
