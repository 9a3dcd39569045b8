import plugin from './alpha';

describe('alpha plugin', () => {
  it('provides the API, the Logging tab and the health card', () => {
    expect(plugin.pluginId).toBe('logging-environments');
    for (const id of [
      'api:logging-environments',
      'entity-content:logging-environments/environment',
      'entity-card:logging-environments/health',
    ] as const) {
      expect(plugin.getExtension(id)).toBeDefined();
    }
  });
});
