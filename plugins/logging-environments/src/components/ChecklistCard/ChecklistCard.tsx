import { InfoCard, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  ChecklistItem,
  EnvironmentDetails,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { loggingEnvironmentsApiRef } from '../../api';
import { ActionButton } from '../ActionButton';
import { StateChip } from '../StateChip';
import { Timestamp } from '../Timestamp';

const Evidence = ({ evidence }: { evidence: ChecklistItem['evidence'] }) => {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return null;
  return (
    <Box component="dl" m={0} mt={0.5}>
      {entries.map(([key, value]) => (
        <Typography key={key} variant="caption" component="div">
          <Box component="dt" display="inline" fontWeight="fontWeightMedium">
            {key}:
          </Box>{' '}
          <Box component="dd" display="inline" m={0}>
            {String(value)}
          </Box>
        </Typography>
      ))}
    </Box>
  );
};

/** @internal */
export interface ChecklistCardProps {
  environment: EnvironmentDetails;
  /** Called after a run, to re-read the environment. */
  onChanged: () => void;
}

/**
 * The phase-2 checklist: each item with its status, message and evidence,
 * and "Re-run checks".
 *
 * @internal
 */
export const ChecklistCard = ({
  environment,
  onChanged,
}: ChecklistCardProps) => {
  const api = useApi(loggingEnvironmentsApiRef);
  const run = environment.checklist;
  const [state, runChecks] = useAsyncFn(async () => {
    await api.runChecklist(environment.entityRef);
    onChanged();
  }, [api, environment.entityRef, onChanged]);

  const passed = run?.items.filter(i => i.status === 'pass').length ?? 0;
  return (
    <InfoCard
      title="Checklist"
      subheader="Verified live against AWS and the cluster"
    >
      <Box display="flex" alignItems="center" flexWrap="wrap" mb={1}>
        <ActionButton
          availability={environment.can.runChecklist}
          onClick={runChecks}
          busy={state.loading}
          busyLabel="Running checks…"
        >
          {run ? 'Re-run checks' : 'Run checks'}
        </ActionButton>
        {run && (
          <Typography variant="body2" component="div">
            <StateChip state={run.status} label="Checklist" /> {passed} of{' '}
            {run.items.length} checks pass · last run{' '}
            <Timestamp value={run.finishedAt} />
            {run.revision && <> · revision {shortRevision(run.revision)}</>}
          </Typography>
        )}
      </Box>
      {state.error && <ResponseErrorPanel error={state.error} />}
      {!run ? (
        <Typography variant="body1">
          The checklist has not run yet. Run the checks: approvals need a
          passing checklist for the revision to sync.
        </Typography>
      ) : (
        <Table size="small" aria-label="Checklist">
          <TableHead>
            <TableRow>
              <TableCell>Status</TableCell>
              <TableCell>Check</TableCell>
              <TableCell>Result and evidence</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {run.items.map(item => (
              <TableRow key={item.id} data-testid={`check-${item.id}`}>
                <TableCell>
                  <StateChip state={item.status} label={item.title} />
                </TableCell>
                <TableCell>
                  <Typography variant="body2">{item.title}</Typography>
                </TableCell>
                <TableCell>
                  <Typography variant="body2">{item.message}</Typography>
                  <Evidence evidence={item.evidence} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
};
