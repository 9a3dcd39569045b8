import {
  Link,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { HistoryEvent } from '@internal/plugin-logging-environments-common';
import { useCallback } from 'react';
import { loggingEnvironmentsApiRef } from '../../api';
import { useLoader } from '../../hooks';
import { Timestamp } from '../Timestamp';

const EVENT_LABELS: Record<string, string> = {
  bootstrap: 'Bootstrap',
  checklist: 'Checklist run',
  approval: 'Approval',
  rejection: 'Rejection',
  'approvals-voided': 'Approvals voided',
  'sync-requested': 'Sync requested',
  'sync-progress': 'Sync progress',
  'sync-succeeded': 'Sync succeeded',
  'sync-failed': 'Sync failed',
  'sync-blocked': 'Sync blocked',
  rollback: 'Rollback',
};

/**
 * The scaffolder's page of a task (the app mounts the scaffolder at
 * `/create`): a bootstrap entry links the template run that wrote it.
 */
function scaffolderTaskPath(taskId: string): string {
  return `/create/tasks/${encodeURIComponent(taskId)}`;
}

const columns: TableColumn<HistoryEvent>[] = [
  {
    title: 'When',
    field: 'at',
    width: '15%',
    render: e => <Timestamp value={e.at} />,
  },
  {
    title: 'Event',
    field: 'type',
    width: '15%',
    render: e => EVENT_LABELS[e.type] ?? e.type,
  },
  {
    title: 'Who',
    field: 'actor',
    width: '15%',
    render: e =>
      e.actor === 'system' ? (
        'System'
      ) : (
        <EntityRefLink entityRef={e.actor} defaultKind="user" />
      ),
  },
  {
    title: 'What',
    field: 'message',
    render: e => {
      const taskId = e.details?.taskId;
      return (
        <>
          {e.message}
          {typeof taskId === 'string' && (
            <>
              {' · '}
              <Link to={scaffolderTaskPath(taskId)}>Template run</Link>
            </>
          )}
        </>
      );
    },
  },
];

/** @internal */
export interface HistoryTableProps {
  entityRef: string;
  /** Moves when the environment changed: the history is read again. */
  tick?: number;
}

/**
 * The environment's audit trail: bootstrap, checklist runs, decisions,
 * syncs and failures, newest first; an entry written by a template run
 * links its scaffolder task.
 *
 * @internal
 */
export const HistoryTable = ({ entityRef, tick }: HistoryTableProps) => {
  const api = useApi(loggingEnvironmentsApiRef);
  const load = useCallback(
    () => api.getHistory(entityRef, { limit: 200 }),
    [api, entityRef],
  );
  const { value, loading, error } = useLoader(load, tick);

  if (loading) return <Progress />;
  if (error && !value)
    return <ResponseErrorPanel error={error} title="History" />;
  return (
    <Table<HistoryEvent>
      title="History"
      columns={columns}
      data={value ?? []}
      options={{
        paging: (value?.length ?? 0) > 20,
        pageSize: 20,
        search: false,
        padding: 'dense',
      }}
      emptyContent={
        <Box p={2}>
          <Typography variant="body1">
            No events recorded yet. Checklist runs, approval decisions and syncs
            are listed here as they happen. A bootstrap is listed only when it
            ran through the portal's template; an environment set up otherwise
            has no bootstrap entry.
          </Typography>
        </Box>
      }
    />
  );
};
