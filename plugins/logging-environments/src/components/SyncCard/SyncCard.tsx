import {
  InfoCard,
  StructuredMetadataTable,
  WarningPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import {
  EnvironmentDetails,
  loggingEnvironmentSyncPermission,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { loggingEnvironmentsApiRef } from '../../api';
import { useActionAvailability } from '../../hooks';
import { ActionButton } from '../ActionButton';
import { StateChip } from '../StateChip';
import { Timestamp } from '../Timestamp';

/** @internal */
export interface SyncCardProps {
  environment: EnvironmentDetails;
  onChanged: () => void;
}

const SyncRunDetails = ({
  environment,
}: {
  environment: EnvironmentDetails;
}) => {
  const run = environment.sync;
  if (!run) {
    return (
      <Typography variant="body2" paragraph>
        No sync has run yet.
      </Typography>
    );
  }
  return (
    <>
      {run.state === 'blocked' && (
        <WarningPanel
          severity="warning"
          title="Sync blocked"
          message={
            run.message ??
            'Argo CD refused the sync (a sync window or its RBAC); it was not forced.'
          }
          defaultExpanded
        />
      )}
      <StructuredMetadataTable
        metadata={{
          state: <StateChip state={run.state} label="Sync run" />,
          revision: shortRevision(run.revision),
          'requested by': (
            <EntityRefLink entityRef={run.requestedBy} defaultKind="user" />
          ),
          started: <Timestamp value={run.startedAt} />,
          updated: <Timestamp value={run.updatedAt} />,
          ...(run.message && run.state !== 'blocked'
            ? { message: run.message }
            : {}),
        }}
      />
    </>
  );
};

/**
 * Phase 3: the latest sync run and, for tiers that sync by hand, "Sync now"
 * behind a confirmation naming the revision.
 *
 * @internal
 */
export const SyncCard = ({ environment, onChanged }: SyncCardProps) => {
  const api = useApi(loggingEnvironmentsApiRef);
  const alertApi = useApi(alertApiRef);
  const [confirming, setConfirming] = useState(false);
  const availability = useActionAvailability(
    environment.can.sync,
    loggingEnvironmentSyncPermission,
    environment.entityRef,
  );
  const revision = environment.approvals.revision;
  const short = revision ? shortRevision(revision) : undefined;
  const manual = environment.policy.syncMode === 'manual';
  const [infrastructure, forwarder] = [
    environment.applications.find(a => a.role === 'infrastructure')?.name ??
      'the infrastructure Application',
    environment.applications.find(a => a.role === 'forwarder')?.name ??
      'the forwarder Application',
  ];

  const [state, sync] = useAsyncFn(async () => {
    await api.startSync(environment.entityRef, revision ? { revision } : {});
    alertApi.post({
      message: `Sync of revision ${short} started`,
      severity: 'success',
      display: 'transient',
    });
    setConfirming(false);
    onChanged();
  }, [api, alertApi, environment.entityRef, revision, short, onChanged]);

  return (
    <InfoCard
      title="GitOps sync"
      subheader={
        manual
          ? 'Manual: someone with the sync permission starts it once approved'
          : `Automatic once approved${
              environment.policy.rollbackOnFailure
                ? ', rolled back on failure'
                : ''
            }`
      }
    >
      <SyncRunDetails environment={environment} />
      {manual && (
        <Box mt={2}>
          <ActionButton
            availability={
              revision
                ? availability
                : {
                    allowed: false,
                    reason: 'the revision to sync is not known yet',
                  }
            }
            onClick={() => setConfirming(true)}
          >
            Sync now
          </ActionButton>
        </Box>
      )}
      <Dialog
        open={confirming}
        onClose={() => setConfirming(false)}
        aria-labelledby="logging-sync-title"
      >
        <DialogTitle id="logging-sync-title">
          Sync revision {short} to {environment.tier}?
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            Argo CD will sync {infrastructure} to revision {revision}, wait
            until its waves are healthy, then sync {forwarder}. This is the
            revision the approvals were given for.
          </DialogContentText>
          {state.error && (
            <WarningPanel
              severity="error"
              title="Could not start the sync"
              message={state.error.message}
              defaultExpanded
            />
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button
            color="primary"
            variant="contained"
            onClick={sync}
            disabled={state.loading}
            startIcon={
              state.loading ? <CircularProgress size={16} /> : undefined
            }
          >
            Sync {short}
          </Button>
        </DialogActions>
      </Dialog>
    </InfoCard>
  );
};
