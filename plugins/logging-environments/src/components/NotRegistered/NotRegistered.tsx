import { EmptyState } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';

/** @internal */
export interface NotRegisteredProps {
  /**
   * `unregistered`: the entity has no trusted record; `mismatch`: its
   * annotations disagree with its record.
   */
  reason: 'unregistered' | 'mismatch';
  /** The backend's words. */
  message: string;
}

/** The facts the backend listed after "…: ", one per line. */
function problemsOf(message: string): { intro: string; problems: string[] } {
  const at = message.indexOf(': ');
  if (at < 0) return { intro: message, problems: [] };
  return {
    intro: message.slice(0, at),
    problems: message
      .slice(at + 2)
      .split('; ')
      .filter(Boolean),
  };
}

/**
 * Why the page shows no environment: the entity is not a registered logging
 * environment (no trusted record), or it does not match its record. Either
 * way nothing acts on it, and the page says what would change that.
 *
 * @internal
 */
export const NotRegistered = ({ reason, message }: NotRegisteredProps) => {
  if (reason === 'unregistered') {
    return (
      <EmptyState
        missing="info"
        title="Not a registered logging environment"
        description={
          <>
            <Typography variant="body1" component="span" display="block">
              {message}
            </Typography>
            <Typography variant="body1" component="span" display="block">
              Nothing here acts on this entity. To create the environment, run
              the “New logging environment” template; an environment that exists
              without a record is adopted by a platform administrator.
            </Typography>
          </>
        }
      />
    );
  }
  const { intro, problems } = problemsOf(message);
  return (
    <EmptyState
      missing="field"
      title="Does not match its environment's record"
      description={
        <>
          <Typography variant="body1" component="span" display="block">
            {intro}:
          </Typography>
          {problems.map(p => (
            <Typography
              key={p}
              variant="body1"
              component="span"
              display="block"
            >
              {p}
            </Typography>
          ))}
          <Typography variant="body1" component="span" display="block">
            Until the entity says what the record says (fix its
            catalog-info.yaml), or a platform administrator changes the record,
            nothing acts on it.
          </Typography>
        </>
      }
    />
  );
};
