import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import { act } from '@testing-library/react';
import { ReactElement } from 'react';
import { SWRConfig } from 'swr';
import { LoggingEnvironmentsApi, loggingEnvironmentsApiRef } from '../api';

/** A signal API whose messages the test sends. */
export class FakeSignalApi implements SignalApi {
  private readonly subscribers = new Map<string, Set<(m: any) => void>>();

  subscribe(channel: string, onMessage: (message: any) => void) {
    const set = this.subscribers.get(channel) ?? new Set();
    set.add(onMessage);
    this.subscribers.set(channel, set);
    return { unsubscribe: () => set.delete(onMessage) };
  }

  async publish(channel: string, message: object) {
    await act(async () => {
      for (const s of this.subscribers.get(channel) ?? []) s(message);
    });
  }
}

export interface RenderOptions {
  api: Partial<LoggingEnvironmentsApi>;
  entity?: Entity;
  /** Permissions the user lacks, by name. */
  deny?: string[];
  signals?: SignalApi;
}

/** Renders in a test app with the plugin's APIs and, optionally, an entity. */
export async function renderWithApis(
  element: ReactElement,
  { api, entity, deny = [], signals }: RenderOptions,
) {
  const permissionApi = mockApis.permission({
    authorize: request =>
      deny.includes(request.permission.name)
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW,
  });
  const apis: any[] = [
    [loggingEnvironmentsApiRef, api],
    [permissionApiRef, permissionApi],
  ];
  if (signals) apis.push([signalApiRef, signals]);
  // usePermission caches answers in SWR's global cache: give every render
  // its own, so one test's permissions never leak into the next.
  return renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <TestApiProvider apis={apis as any}>
        {entity ? (
          <EntityProvider entity={entity}>{element}</EntityProvider>
        ) : (
          element
        )}
      </TestApiProvider>
    </SWRConfig>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}
