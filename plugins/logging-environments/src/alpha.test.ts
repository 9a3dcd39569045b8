import plugin from './alpha';

describe('alpha plugin', () => {
  it('provides the API, the Logging tab and the health card', () => {
    expect(plugin.id).toBe('logging-environments');
    expect(
      (plugin as unknown as { extensions: { id: string }[] }).extensions
        .map(e => e.id)
        .sort(),
    ).toEqual([
      'api:logging-environments',
      'entity-card:logging-environments/health',
      'entity-content:logging-environments/environment',
    ]);
  });
});
