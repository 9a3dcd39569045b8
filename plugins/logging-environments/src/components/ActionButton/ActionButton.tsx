import Box from '@material-ui/core/Box';
import Button, { ButtonProps } from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Typography from '@material-ui/core/Typography';
import { Availability } from '@internal/plugin-logging-environments-common';
import { useState } from 'react';

let nextId = 0;

/** Reasons come from the backend in lower case, to be used mid-sentence. */
export function sentence(text: string): string {
  return text.charAt(0).toLocaleUpperCase('en-US') + text.slice(1);
}

/** @internal */
export interface ActionButtonProps {
  children: string;
  availability: Availability;
  onClick: () => void;
  /** Shown instead of the label, with a spinner, while the action runs. */
  busyLabel?: string;
  busy?: boolean;
  color?: ButtonProps['color'];
  variant?: ButtonProps['variant'];
}

/**
 * A button that, when the user may not use it, is disabled and says why in
 * plain text next to it (also its accessible description), rather than in
 * a tooltip nobody can reach on a disabled button.
 *
 * @internal
 */
export const ActionButton = ({
  children,
  availability,
  onClick,
  busy,
  busyLabel,
  color = 'primary',
  variant = 'contained',
}: ActionButtonProps) => {
  const [id] = useState(() => `logging-action-reason-${++nextId}`);
  const blocked = !availability.allowed;
  return (
    <Box
      display="inline-flex"
      flexDirection="column"
      mr={2}
      mb={1}
      maxWidth={360}
    >
      <Button
        color={color}
        variant={variant}
        disabled={blocked || busy}
        onClick={onClick}
        aria-describedby={blocked && availability.reason ? id : undefined}
        startIcon={busy ? <CircularProgress size={16} /> : undefined}
      >
        {busy && busyLabel ? busyLabel : children}
      </Button>
      {blocked && availability.reason && (
        <Typography id={id} variant="caption" color="textSecondary">
          {sentence(availability.reason)}
        </Typography>
      )}
    </Box>
  );
};
