import { WarningPanel } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import {
  EnvironmentDetails,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { loggingEnvironmentsApiRef } from '../../api';

const MAX_COMMENT = 2000;

/** @internal */
export interface DecisionDialogProps {
  open: boolean;
  decision: 'approve' | 'reject';
  environment: EnvironmentDetails;
  onClose: () => void;
  /** Called once the backend recorded the decision. */
  onDone: () => void;
}

/**
 * Asks for the comment (and, when it is ambiguous, the role) of an approval
 * or a rejection, and posts it bound to the revision the user saw.
 *
 * @internal
 */
export const DecisionDialog = ({
  open,
  decision,
  environment,
  onClose,
  onDone,
}: DecisionDialogProps) => {
  const api = useApi(loggingEnvironmentsApiRef);
  const alertApi = useApi(alertApiRef);
  const [comment, setComment] = useState('');
  const [role, setRole] = useState('');
  const { approvals } = environment;
  const approve = decision === 'approve';
  const verb = approve ? 'Approve' : 'Reject';
  // Roles still open to this decision; with more than one, the user may
  // have to say which one they decide in (the backend asks when it is
  // ambiguous for them).
  const roles = approvals.required.filter(r => !approve || !r.approval);

  const [state, submit] = useAsyncFn(async () => {
    await api.decideApproval(environment.entityRef, {
      decision,
      comment: comment.trim(),
      ...(role ? { role } : {}),
      ...(approvals.revision ? { revision: approvals.revision } : {}),
    });
    alertApi.post({
      message: approve
        ? 'Your approval was recorded'
        : 'Your rejection was recorded',
      severity: 'success',
      display: 'transient',
    });
    setComment('');
    onDone();
  }, [
    api,
    alertApi,
    environment.entityRef,
    decision,
    comment,
    role,
    approvals.revision,
    onDone,
  ]);

  const needsComment = !approve && comment.trim().length === 0;
  const title = `${verb} ${environment.title ?? environment.name}`;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      fullWidth
      maxWidth="sm"
      aria-labelledby="logging-decision-title"
    >
      <DialogTitle id="logging-decision-title">{title}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {approve ? 'You approve' : 'You reject'}{' '}
          {approvals.revision
            ? `revision ${shortRevision(approvals.revision)}`
            : 'the current revision'}{' '}
          of this {environment.tier} environment. A newer revision voids the
          decision.
        </DialogContentText>
        {roles.length > 1 && (
          <TextField
            id="logging-decision-role"
            select
            fullWidth
            margin="normal"
            label="Role"
            value={role}
            onChange={e => setRole(e.target.value)}
            helperText="The role you decide in, if you hold more than one"
            // Show the default ("The role I hold") rather than an empty field.
            SelectProps={{ displayEmpty: true }}
            InputLabelProps={{ shrink: true }}
          >
            <MenuItem value="">The role I hold</MenuItem>
            {roles.map(r => (
              <MenuItem key={r.role} value={r.role}>
                {r.title}
              </MenuItem>
            ))}
          </TextField>
        )}
        <TextField
          id="logging-decision-comment"
          fullWidth
          multiline
          minRows={3}
          margin="normal"
          label="Comment"
          required={!approve}
          value={comment}
          onChange={e => setComment(e.target.value.slice(0, MAX_COMMENT))}
          helperText={
            approve
              ? 'What you checked (optional)'
              : 'Why you reject it (required)'
          }
        />
        {state.error && (
          <WarningPanel
            severity="error"
            title={`Could not ${decision}`}
            message={state.error.message}
            defaultExpanded
          />
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          onClick={submit}
          disabled={state.loading || needsComment}
          startIcon={state.loading ? <CircularProgress size={16} /> : undefined}
        >
          {verb}
        </Button>
      </DialogActions>
    </Dialog>
  );
};
