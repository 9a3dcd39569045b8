import { WAVE_PLAN, applicationNames, wavesOf } from './wavePlan';

describe('WAVE_PLAN', () => {
  it('uses integer waves, because Argo CD parses sync-wave with Atoi', () => {
    for (const step of WAVE_PLAN) {
      expect(Number.isInteger(step.wave)).toBe(true);
    }
  });

  it('applies ExternalSecret, LokiStack, health check, then the forwarder', () => {
    const ordered = [...WAVE_PLAN].sort((a, b) => a.wave - b.wave);
    expect(ordered.map(s => s.kind)).toEqual([
      'ExternalSecret',
      'LokiStack',
      'Job',
      'ClusterLogForwarder',
    ]);
  });

  it('keeps the forwarder in its own Application, after every infrastructure wave', () => {
    const infra = wavesOf('infrastructure');
    const forwarder = wavesOf('forwarder');
    expect(forwarder.map(s => s.id)).toEqual(['log-forwarder']);
    expect(Math.min(...forwarder.map(s => s.wave))).toBeGreaterThan(
      Math.max(...infra.map(s => s.wave)),
    );
  });

  it('makes the health check the only hook', () => {
    expect(WAVE_PLAN.filter(s => s.hook).map(s => s.id)).toEqual([
      'health-check',
    ]);
  });
});

describe('applicationNames', () => {
  it('derives both Application names from the environment name', () => {
    expect(applicationNames('acme-prod')).toEqual({
      infrastructure: 'acme-prod-logging-infrastructure',
      forwarder: 'acme-prod-logging-forwarder',
    });
  });
});
