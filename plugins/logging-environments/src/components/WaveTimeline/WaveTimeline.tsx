import { EmptyState, InfoCard, Link } from '@backstage/core-components';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import {
  ApplicationStatus,
  ResourceHealthSource,
  WaveResource,
  WaveStatus,
  shortRevision,
} from '@internal/plugin-logging-environments-common';
import { StateChip } from '../StateChip';

const TROUBLED_HEALTH = ['degraded', 'missing', 'unknown'];

/** Where a resource's health was read, as a person reads it. */
const HEALTH_SOURCES: Record<ResourceHealthSource, string> = {
  application: "Health as Argo CD records it on the Application's status.",
  'resource-tree': "Health from the Application's resource tree in Argo CD.",
  live: 'Health evaluated by the portal from the live object, with the rules of the Argo CD health check.',
  'application-health':
    'Health inferred from the Application: Argo CD reports it Healthy, so none of its live resources is worse.',
};

function troubled(resource: WaveResource, wave: WaveStatus): boolean {
  return (
    ['failed', 'degraded', 'unknown'].includes(wave.state) &&
    (TROUBLED_HEALTH.includes(
      (resource.health ?? '').toLocaleLowerCase('en-US'),
    ) ||
      (resource.syncStatus ?? '').toLocaleLowerCase('en-US') !== 'synced')
  );
}

const Resource = ({
  resource,
  wave,
}: {
  resource: WaveResource;
  wave: WaveStatus;
}) => {
  const name = `${resource.kind} ${
    resource.namespace ? `${resource.namespace}/` : ''
  }${resource.name}`;
  return (
    <Accordion defaultExpanded={troubled(resource, wave)} variant="outlined">
      <AccordionSummary
        expandIcon={<ExpandMoreIcon />}
        aria-label={`${name}: details`}
      >
        <Box
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          style={{ gap: 8 }}
        >
          <Typography variant="body2">{name}</Typography>
          {resource.syncStatus && (
            <StateChip state={resource.syncStatus} label={`${name} sync`} />
          )}
          {resource.health && (
            <StateChip state={resource.health} label={`${name} health`} />
          )}
        </Box>
      </AccordionSummary>
      <AccordionDetails>
        <Box>
          <Typography variant="body2" color="textSecondary">
            {resource.message ??
              'Argo CD reports no message for this resource.'}
          </Typography>
          {resource.healthSource && (
            <Typography variant="caption" color="textSecondary">
              {HEALTH_SOURCES[resource.healthSource]}
            </Typography>
          )}
        </Box>
      </AccordionDetails>
    </Accordion>
  );
};

const Wave = ({ wave }: { wave: WaveStatus }) => (
  <Box
    component="li"
    mb={2}
    aria-label={`Wave ${wave.wave}: ${wave.step?.title ?? ''}`}
  >
    <Box display="flex" alignItems="center" mb={1} style={{ gap: 8 }}>
      <Typography variant="subtitle2" component="h4">
        Wave {wave.wave}
        {wave.step ? ` · ${wave.step.title}` : ''}
      </Typography>
      <StateChip state={wave.state} label={`Wave ${wave.wave}`} />
    </Box>
    {wave.resources.length === 0 ? (
      <Typography variant="body2" color="textSecondary">
        No resources in this wave yet.
      </Typography>
    ) : (
      wave.resources.map(r => (
        <Resource
          key={`${r.kind}/${r.namespace}/${r.name}`}
          resource={r}
          wave={wave}
        />
      ))
    )}
  </Box>
);

/**
 * One Application: its Argo CD status, its progress and its waves in order.
 *
 * @internal
 */
export const ApplicationWaves = ({
  application,
}: {
  application: ApplicationStatus;
}) => {
  const waves = [...application.waves].sort((a, b) => a.wave - b.wave);
  const healthy = waves.filter(w => w.state === 'healthy').length;
  const progress = waves.length ? (healthy / waves.length) * 100 : 0;
  const progressText = `${healthy} of ${waves.length} waves healthy`;
  return (
    <InfoCard
      title={application.name}
      subheader={`${
        application.role === 'infrastructure' ? 'Infrastructure' : 'Forwarder'
      } Application`}
    >
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        mb={1}
        style={{ gap: 8 }}
      >
        {application.syncStatus && (
          <StateChip state={application.syncStatus} label="Sync status" />
        )}
        {application.health && (
          <StateChip state={application.health} label="Health" />
        )}
        {application.operationPhase && (
          <Typography variant="body2">
            Operation: {application.operationPhase}
          </Typography>
        )}
        {application.revisions && application.revisions.length > 1 ? (
          <Typography variant="body2">
            Revisions {application.revisions.map(shortRevision).join(', ')}
          </Typography>
        ) : (
          application.revision && (
            <Typography variant="body2">
              Revision {shortRevision(application.revision)}
            </Typography>
          )
        )}
        {application.url && (
          <Link
            to={application.url}
            aria-label={`Open ${application.name} in Argo CD`}
          >
            Open in Argo CD
          </Link>
        )}
      </Box>
      {application.operationMessage && (
        <Typography variant="body2" color="textSecondary" paragraph>
          {application.operationMessage}
        </Typography>
      )}
      {application.problems?.map(problem => (
        <Typography
          key={`${problem.type}: ${problem.message}`}
          variant="body2"
          color={problem.severity === 'error' ? 'error' : 'textSecondary'}
          paragraph
        >
          {problem.severity === 'error' ? 'Error' : 'Warning'} {problem.type}:{' '}
          {problem.message}
        </Typography>
      ))}
      <LinearProgress
        variant="determinate"
        value={progress}
        aria-label={`${application.name} progress`}
        aria-valuetext={progressText}
      />
      <Typography variant="caption" display="block" gutterBottom>
        {progressText}
      </Typography>
      {waves.length === 0 ? (
        <Typography variant="body2">
          Argo CD reports no resources for this Application yet.
        </Typography>
      ) : (
        <Box component="ol" p={0} m={0} style={{ listStyle: 'none' }}>
          {waves.map(w => (
            <Wave key={w.wave} wave={w} />
          ))}
        </Box>
      )}
    </InfoCard>
  );
};

/**
 * The rollout of phase 3: a timeline per Application, waves in order
 * (ExternalSecret, LokiStack, health check, ClusterLogForwarder).
 *
 * @internal
 */
export const WaveTimeline = ({
  applications,
}: {
  applications: ApplicationStatus[];
}) => {
  if (applications.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No Argo CD Application status yet"
        description="The backend has not seen the environment's Applications on its cluster. The bootstrap registers them; check the cluster configuration if they exist."
      />
    );
  }
  const order = { infrastructure: 0, forwarder: 1 } as const;
  return (
    <Grid container spacing={3}>
      {[...applications]
        .sort((a, b) => order[a.role] - order[b.role])
        .map(a => (
          <Grid item xs={12} md={6} key={a.name}>
            <ApplicationWaves application={a} />
          </Grid>
        ))}
    </Grid>
  );
};
