/** The AppProjects endpoints of the Argo CD API server (`server/project`). */
import { ObjectStore } from '../../../kube/types';
import { ARGO_API_VERSION, AppProject } from '../types';
import { GrpcCode, GrpcError, present } from './http';

/** An AppProject of an Argo CD instance, if it exists. */
export function findProject(
  store: ObjectStore,
  namespace: string,
  name: string,
): AppProject | undefined {
  return store.get({
    apiVersion: ARGO_API_VERSION,
    kind: 'AppProject',
    namespace,
    name,
  }) as AppProject | undefined;
}

/** List and get of the AppProjects of the instance in `namespace`. */
export class ProjectHandlers {
  constructor(
    private readonly options: { store: ObjectStore; namespace: string },
  ) {}

  async listProjects() {
    const items = this.options.store
      .list(ARGO_API_VERSION, 'AppProject', {
        namespace: this.options.namespace,
      })
      .map(present);
    return { metadata: {}, items };
  }

  async getProject(name: string) {
    const p = findProject(this.options.store, this.options.namespace, name);
    if (!p) {
      throw new GrpcError(
        GrpcCode.NotFound,
        `appprojects.argoproj.io "${name}" not found`,
      );
    }
    return present(p);
  }
}
