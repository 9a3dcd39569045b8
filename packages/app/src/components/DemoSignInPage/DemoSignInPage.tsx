import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
  WarningPanel,
} from '@backstage/core-components';
import {
  SignInPageProps,
  configApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { DEMO_USER_STORAGE_KEY, DemoIdentity } from './DemoIdentity';

interface DemoUser {
  name: string;
  title: string;
  description?: string;
}

/**
 * Sign-in page of the sandbox portal: pick one of the demo users listed in
 * `app.demoSignIn.users`; the backend's `demo` provider signs in as that
 * catalog user.
 */
export const DemoSignInPage = (props: SignInPageProps) => {
  const config = useApi(configApiRef);
  const users: DemoUser[] = (
    config.getOptionalConfigArray('app.demoSignIn.users') ?? []
  ).map(u => ({
    name: u.getString('name'),
    title: u.getString('title'),
    description: u.getOptionalString('description'),
  }));
  const [chosen, setChosen] = useState(() =>
    window.sessionStorage.getItem(DEMO_USER_STORAGE_KEY),
  );
  const [failure, setFailure] = useState<Error>();

  if (chosen) {
    return (
      <ProxiedSignInPage
        provider="demo"
        headers={{ 'x-demo-user': chosen }}
        onSignInSuccess={identity =>
          props.onSignInSuccess(new DemoIdentity(identity))
        }
        ErrorComponent={({ error }) => {
          // Forget the choice so the page offers the users again.
          window.sessionStorage.removeItem(DEMO_USER_STORAGE_KEY);
          setTimeout(() => {
            setFailure(error);
            setChosen(null);
          });
          return null;
        }}
      />
    );
  }

  return (
    <Page themeId="home">
      <Header title="Logging Environments" subtitle="Sandbox portal" />
      <Content>
        <ContentHeader title="Sign in as a demo user" />
        {failure && (
          <WarningPanel title="Sign-in failed" message={failure.message} />
        )}
        <Grid container spacing={3}>
          {users.map(u => (
            <Grid item xs={12} sm={6} md={3} key={u.name}>
              <InfoCard title={u.title}>
                <Typography variant="body2" paragraph>
                  {u.description}
                </Typography>
                <Button
                  variant="contained"
                  color="primary"
                  aria-label={`Sign in as ${u.title}`}
                  onClick={() => {
                    window.sessionStorage.setItem(
                      DEMO_USER_STORAGE_KEY,
                      u.name,
                    );
                    setChosen(u.name);
                  }}
                >
                  Sign in
                </Button>
              </InfoCard>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
};
