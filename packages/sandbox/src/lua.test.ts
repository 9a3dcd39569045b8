import { LuaHealthRunner } from './lua';

describe('LuaHealthRunner', () => {
  const runner = new LuaHealthRunner();
  afterAll(() => runner.close());

  it('gives the script the object as obj and returns its hs table', async () => {
    const script = `
      local hs = {}
      if obj.status.phase == "Running" then hs.status = "Healthy" else hs.status = "Progressing" end
      hs.message = obj.metadata.name
      return hs`;
    await expect(
      runner.run(script, {
        metadata: { name: 'x' },
        status: { phase: 'Running' },
      }),
    ).resolves.toEqual({ status: 'Healthy', message: 'x' });
    await expect(
      runner.run(script, {
        metadata: { name: 'y' },
        status: { phase: 'Pending' },
      }),
    ).resolves.toEqual({ status: 'Progressing', message: 'y' });
  });

  it('iterates arrays with ipairs, as Argo CD scripts do', async () => {
    const script = `
      local n = 0
      for _, c in ipairs(obj.status.conditions) do n = n + 1 end
      return { status = "Healthy", message = tostring(n) }`;
    await expect(
      runner.run(script, { status: { conditions: [{}, {}, {}] } }),
    ).resolves.toEqual({ status: 'Healthy', message: '3' });
  });

  it('reports script errors', async () => {
    await expect(runner.run('return obj.missing.field', {})).rejects.toThrow(
      /Lua health script failed/,
    );
    await expect(runner.run('return 1', {})).rejects.toThrow(
      /did not return a table/,
    );
  });
});
