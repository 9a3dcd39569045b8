/**
 * The sandbox's Argo CD: the application controller (`controller/`) and the
 * API server (`api/`), over what they share: the Application and AppProject
 * types (`types.ts`), AppProject rules (`project/`), manifest rendering from
 * git (`render.ts`), comparison with the live state (`compare/`), health
 * (`health.ts`), sync steps (`sync/`) and the resource tree (`tree.ts`).
 */
export { startArgoCdController } from './controller';
export { startArgoCdApiServer } from './api';
export { isGroupKindPermitted } from './project';
