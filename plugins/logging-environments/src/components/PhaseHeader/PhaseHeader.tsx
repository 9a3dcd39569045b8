import { InfoCard } from '@backstage/core-components';
import Step from '@material-ui/core/Step';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Typography from '@material-ui/core/Typography';
import {
  Phase,
  TierPolicy,
  describeTierPolicy,
} from '@internal/plugin-logging-environments-common';

const PHASES: { phase: Phase; label: string }[] = [
  { phase: 'bootstrap', label: 'Bootstrap' },
  { phase: 'verify', label: 'Verify & approve' },
  { phase: 'sync', label: 'GitOps sync' },
];

/** @internal */
export interface PhaseHeaderProps {
  policy: TierPolicy;
  /** The current phase, when known. `live` means every phase is done. */
  phase?: Phase;
}

/**
 * The three phases of ADR-0009 and the tier's policy in words.
 *
 * @internal
 */
export const PhaseHeader = ({ policy, phase }: PhaseHeaderProps) => {
  const active =
    phase === 'live' ? PHASES.length : PHASES.findIndex(p => p.phase === phase);
  return (
    <InfoCard title="Deployment phases">
      <Stepper
        activeStep={active}
        alternativeLabel
        aria-label="Deployment phases"
      >
        {PHASES.map(p => (
          <Step key={p.phase}>
            <StepLabel>{p.label}</StepLabel>
          </Step>
        ))}
      </Stepper>
      <Typography variant="body1">{describeTierPolicy(policy)}</Typography>
    </InfoCard>
  );
};
