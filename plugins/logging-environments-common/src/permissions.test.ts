import {
  LOGGING_ENVIRONMENT_RESOURCE_TYPE,
  loggingEnvironmentPermissions,
} from './permissions';

describe('permissions', () => {
  it('are the three documented resource permissions', () => {
    expect(loggingEnvironmentPermissions.map(p => p.name)).toEqual([
      'logging.environment.read',
      'logging.environment.approve',
      'logging.environment.sync',
    ]);
    for (const p of loggingEnvironmentPermissions) {
      expect(p.type).toBe('resource');
      expect((p as { resourceType: string }).resourceType).toBe(
        LOGGING_ENVIRONMENT_RESOURCE_TYPE,
      );
    }
  });
});
