import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import BlockIcon from '@material-ui/icons/Block';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HelpIcon from '@material-ui/icons/Help';
import ScheduleIcon from '@material-ui/icons/Schedule';
import SyncIcon from '@material-ui/icons/Sync';
import WarningIcon from '@material-ui/icons/Warning';

/** @internal */
export type Tone =
  | 'ok'
  | 'error'
  | 'warning'
  | 'running'
  | 'pending'
  | 'blocked';

// Every state a chip may show, from all the vocabularies the page meets:
// checklist (pass/fail/warn/unknown), waves, sync runs, Argo CD sync and
// health statuses, and whether a namespace is collected.
const STATES: Record<string, { tone: Tone; label: string }> = {
  pass: { tone: 'ok', label: 'Pass' },
  fail: { tone: 'error', label: 'Fail' },
  warn: { tone: 'warning', label: 'Warning' },
  unknown: { tone: 'pending', label: 'Unknown' },
  pending: { tone: 'pending', label: 'Pending' },
  running: { tone: 'running', label: 'Running' },
  healthy: { tone: 'ok', label: 'Healthy' },
  degraded: { tone: 'error', label: 'Degraded' },
  failed: { tone: 'error', label: 'Failed' },
  'syncing-infrastructure': {
    tone: 'running',
    label: 'Syncing infrastructure',
  },
  'waiting-infrastructure': {
    tone: 'running',
    label: 'Waiting for infrastructure',
  },
  'syncing-forwarder': { tone: 'running', label: 'Syncing forwarder' },
  'waiting-forwarder': { tone: 'running', label: 'Waiting for forwarder' },
  'rolling-back': { tone: 'warning', label: 'Rolling back' },
  succeeded: { tone: 'ok', label: 'Succeeded' },
  blocked: { tone: 'blocked', label: 'Blocked' },
  // Argo CD
  synced: { tone: 'ok', label: 'Synced' },
  outofsync: { tone: 'warning', label: 'OutOfSync' },
  progressing: { tone: 'running', label: 'Progressing' },
  missing: { tone: 'pending', label: 'Missing' },
  suspended: { tone: 'pending', label: 'Suspended' },
  error: { tone: 'error', label: 'Error' },
  terminating: { tone: 'running', label: 'Terminating' },
  // Collected namespaces
  yes: { tone: 'ok', label: 'Collected' },
  no: { tone: 'warning', label: 'Not collected' },
  // Approvals
  given: { tone: 'ok', label: 'Given' },
  rejected: { tone: 'error', label: 'Rejected' },
  voided: { tone: 'pending', label: 'Voided' },
};

/**
 * The tone and label of a state, whichever vocabulary it comes from.
 *
 * @internal
 */
export function describeState(state: string): { tone: Tone; label: string } {
  const known = STATES[state.toLocaleLowerCase('en-US')];
  if (known) return known;
  const words = state.replace(/[-_]+/g, ' ');
  return {
    tone: 'pending',
    label: words.charAt(0).toLocaleUpperCase('en-US') + words.slice(1),
  };
}

const ICONS: Record<Tone, typeof CheckCircleIcon> = {
  ok: CheckCircleIcon,
  error: ErrorIcon,
  warning: WarningIcon,
  running: SyncIcon,
  pending: ScheduleIcon,
  blocked: BlockIcon,
};

const useStyles = makeStyles(theme => {
  const status = (theme.palette as any).status ?? {};
  const tone = (color: string | undefined) => ({
    borderColor: color,
    '& $icon': { color },
  });
  return {
    icon: {},
    ok: tone(status.ok ?? theme.palette.success?.main),
    error: tone(status.error ?? theme.palette.error.main),
    warning: tone(status.warning ?? theme.palette.warning?.main),
    running: tone(status.running ?? theme.palette.info?.main),
    pending: tone(status.pending ?? theme.palette.text.secondary),
    blocked: tone(status.error ?? theme.palette.error.main),
  };
});

/** @internal */
export interface StateChipProps {
  state: string;
  /** What the state is of, for screen readers: "Health", "Sync"... */
  label?: string;
  /** Overrides the label the state would get. */
  text?: string;
}

/**
 * A state as a chip: an icon and a word, never colour alone.
 *
 * @internal
 */
export const StateChip = ({ state, label, text }: StateChipProps) => {
  const classes = useStyles();
  const described = describeState(state);
  const Icon =
    described.tone === 'pending' &&
    state.toLocaleLowerCase('en-US') === 'unknown'
      ? HelpIcon
      : ICONS[described.tone];
  const shown = text ?? described.label;
  return (
    <Chip
      size="small"
      variant="outlined"
      className={classes[described.tone]}
      classes={{ icon: classes.icon }}
      icon={<Icon fontSize="small" />}
      label={shown}
      title={label ? `${label}: ${shown}` : shown}
      data-tone={described.tone}
    />
  );
};
