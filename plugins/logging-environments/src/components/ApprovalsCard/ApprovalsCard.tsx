import { InfoCard, WarningPanel } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  Approval,
  EnvironmentDetails,
  loggingEnvironmentApprovePermission,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import { useState } from 'react';
import { useActionAvailability } from '../../hooks';
import { ActionButton } from '../ActionButton';
import { DecisionDialog } from '../DecisionDialog';
import { StateChip } from '../StateChip';
import { Timestamp } from '../Timestamp';

const Decision = ({ approval }: { approval: Approval }) => (
  <>
    <EntityRefLink entityRef={approval.actor} defaultKind="user" />,{' '}
    <Timestamp value={approval.createdAt} />, revision{' '}
    {shortRevision(approval.revision)}
    {approval.comment && (
      <Typography variant="body2" component="q" display="block">
        {approval.comment}
      </Typography>
    )}
  </>
);

/** @internal */
export interface ApprovalsCardProps {
  environment: EnvironmentDetails;
  onChanged: () => void;
}

/**
 * The phase-2 gate: what the tier requires, what is given, and Approve /
 * Reject for those who may.
 *
 * @internal
 */
export const ApprovalsCard = ({
  environment,
  onChanged,
}: ApprovalsCardProps) => {
  const { approvals, policy } = environment;
  const [dialog, setDialog] = useState<'approve' | 'reject'>();
  const approve = useActionAvailability(
    environment.can.approve,
    loggingEnvironmentApprovePermission,
    environment.entityRef,
  );
  const reject = useActionAvailability(
    environment.can.reject,
    loggingEnvironmentApprovePermission,
    environment.entityRef,
  );

  if (
    policy.requiredApprovals.length === 0 &&
    approvals.required.length === 0
  ) {
    return (
      <InfoCard title="Approvals">
        <Typography variant="body1">
          A {environment.tier} environment needs no approval: it syncs once the
          checklist passes.
        </Typography>
      </InfoCard>
    );
  }

  const given = approvals.required.filter(r => r.approval).length;
  let gate = { state: 'pending', text: 'Incomplete' };
  if (approvals.rejected) gate = { state: 'rejected', text: 'Rejected' };
  if (approvals.complete) gate = { state: 'given', text: 'Complete' };
  const voided = approvals.decisions.filter(d => d.voidedReason);
  return (
    <InfoCard
      title="Approvals"
      subheader={
        approvals.revision
          ? `For revision ${shortRevision(approvals.revision)}`
          : 'The revision to sync is not known yet'
      }
    >
      <Typography variant="body2" component="div" paragraph>
        <StateChip state={gate.state} text={gate.text} label="Approvals" />{' '}
        {given} of {approvals.required.length} required approvals given
      </Typography>
      {approvals.rejected && (
        <WarningPanel
          severity="error"
          title={`Rejected as ${
            approvals.required.find(r => r.role === approvals.rejected!.role)
              ?.title ?? approvals.rejected.role
          }`}
          defaultExpanded
        >
          <Typography variant="body2">
            <Decision approval={approvals.rejected} />
          </Typography>
        </WarningPanel>
      )}
      <Table size="small" aria-label="Required approvals">
        <TableHead>
          <TableRow>
            <TableCell>Required</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Given by</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {approvals.required.map(r => (
            <TableRow key={r.role} data-testid={`approval-${r.role}`}>
              <TableCell>
                <Typography variant="body2">{r.title}</Typography>
                <Typography variant="caption" color="textSecondary">
                  members of{' '}
                  {r.groups.map((g, i) => (
                    <span key={g}>
                      {i > 0 && ' or '}
                      <EntityRefLink entityRef={g} defaultKind="group" />
                    </span>
                  ))}
                </Typography>
              </TableCell>
              <TableCell>
                <StateChip
                  state={r.approval ? 'given' : 'pending'}
                  text={r.approval ? 'Given' : 'Missing'}
                  label={r.title}
                />
              </TableCell>
              <TableCell>
                {r.approval ? <Decision approval={r.approval} /> : '—'}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {voided.length > 0 && (
        <Box mt={2}>
          <Typography variant="subtitle2">Voided decisions</Typography>
          {voided.map(d => (
            <Typography key={d.id} variant="body2" component="div">
              <StateChip state="voided" />{' '}
              {d.decision === 'approve' ? 'Approval' : 'Rejection'} by{' '}
              <EntityRefLink entityRef={d.actor} defaultKind="user" /> for
              revision {shortRevision(d.revision)}: {d.voidedReason}
            </Typography>
          ))}
        </Box>
      )}
      <Box mt={2}>
        <ActionButton
          availability={approve}
          onClick={() => setDialog('approve')}
        >
          Approve
        </ActionButton>
        <ActionButton
          availability={reject}
          onClick={() => setDialog('reject')}
          color="secondary"
          variant="outlined"
        >
          Reject
        </ActionButton>
      </Box>
      {dialog && (
        <DecisionDialog
          open
          decision={dialog}
          environment={environment}
          onClose={() => setDialog(undefined)}
          onDone={() => {
            setDialog(undefined);
            onChanged();
          }}
        />
      )}
    </InfoCard>
  );
};
