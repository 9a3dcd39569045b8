import { CodeSnippet, EmptyState } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';

/** @internal */
export interface MissingSetupProps {
  title: string;
  /** What is wrong, one line each. */
  problems: string[];
  /** YAML that shows how to fix it. */
  example: string;
}

/**
 * Tells the user what the entity lacks and shows the YAML that fixes it.
 *
 * @internal
 */
export const MissingSetup = ({
  title,
  problems,
  example,
}: MissingSetupProps) => (
  <EmptyState
    missing="field"
    title={title}
    description={
      <>
        {problems.map(p => (
          <Typography key={p} variant="body1" component="span" display="block">
            {p}
          </Typography>
        ))}
      </>
    }
    action={<CodeSnippet text={example} language="yaml" showCopyCodeButton />}
  />
);
