import {
  LOGGING_ENVIRONMENT_RESOURCE_TYPE,
  loggingEnvironmentPermissions,
} from './permissions';

describe('permissions', () => {
  it('are the three resource permissions of an environment and two basic ones', () => {
    const byName = Object.fromEntries(
      loggingEnvironmentPermissions.map(p => [p.name, p]),
    );
    expect(Object.keys(byName)).toEqual([
      'logging.environment.read',
      'logging.environment.approve',
      'logging.environment.sync',
      'logging.environment.create',
      'logging.environment.administer',
    ]);
    for (const name of [
      'logging.environment.read',
      'logging.environment.approve',
      'logging.environment.sync',
    ]) {
      expect(byName[name].type).toBe('resource');
      expect((byName[name] as { resourceType: string }).resourceType).toBe(
        LOGGING_ENVIRONMENT_RESOURCE_TYPE,
      );
    }
    // Creating and administering are not about one existing environment.
    expect(byName['logging.environment.create'].type).toBe('basic');
    expect(byName['logging.environment.administer'].type).toBe('basic');
  });
});
