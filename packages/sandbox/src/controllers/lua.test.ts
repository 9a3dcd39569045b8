import { INVALID_HEALTH_STATUS, runHealthLua, toLuaLiteral } from './lua';

describe('runHealthLua', () => {
  it('passes the object as the global obj and reads the returned table', async () => {
    const script = `
local hs = {}
local names = {}
for i, c in ipairs(obj.status.conditions) do
  names[#names + 1] = i .. "=" .. c.type
end
hs.status = "Healthy"
hs.message = table.concat(names, ",") .. " replicas=" .. tostring(obj.spec.replicas) ..
  " ratio=" .. tostring(obj.spec.ratio) .. " missing=" .. tostring(obj.spec.gone) .. " " .. obj.metadata.name
return hs`;
    const obj = {
      metadata: { name: 'naïve "quoted" \\ name\n' },
      spec: { replicas: 3, ratio: 0.5, gone: null },
      status: { conditions: [{ type: 'Ready' }, { type: 'Degraded' }] },
    };
    // Whole numbers print as in Argo CD's Lua 5.1 (no ".0"), null is nil.
    expect(await runHealthLua(script, obj)).toEqual({
      status: 'Healthy',
      message: `1=Ready,2=Degraded replicas=3 ratio=0.5 missing=nil ${obj.metadata.name}`,
    });
  });

  it('mirrors ExecuteHealthLua for empty, nil, invalid and non-table results', async () => {
    expect(await runHealthLua('return {}', {})).toEqual({ status: '' });
    expect(await runHealthLua('local x = 1', {})).toEqual({ status: '' });
    expect(await runHealthLua('return { status = "Fine" }', {})).toEqual({
      status: 'Unknown',
      message: INVALID_HEALTH_STATUS,
    });
    expect(await runHealthLua('return { message = "no status" }', {})).toEqual({
      status: 'Unknown',
      message: INVALID_HEALTH_STATUS,
    });
    await expect(runHealthLua('return "Healthy"', {})).rejects.toThrow(
      'expect table output from Lua script, not string',
    );
  });

  it('reports script errors and stops runaway scripts', async () => {
    await expect(runHealthLua('return obj.status.phase', {})).rejects.toThrow(
      "<string>:1: attempt to index a nil value (field 'status')",
    );
    await expect(runHealthLua('return {', {})).rejects.toThrow(/^<string>:1: /);
    await expect(
      runHealthLua('while true do end', {}, { timeoutMs: 100 }),
    ).rejects.toThrow('context deadline exceeded');
    // The VM is still usable afterwards.
    expect(await runHealthLua('return { status = "Healthy" }', {})).toEqual({
      status: 'Healthy',
    });
  });

  it('gives customizations without useOpenLibs only the base libraries', async () => {
    const script = 'return { status = "Healthy", message = string.upper("x") }';
    expect(await runHealthLua(script, {})).toEqual({
      status: 'Healthy',
      message: 'X',
    });
    await expect(
      runHealthLua(script, {}, { useOpenLibs: false }),
    ).rejects.toThrow("attempt to index a nil value (global 'string')");
    // Lua 5.1 names Argo CD's scripts use keep working.
    expect(
      await runHealthLua(
        'local t = {1, 2, 3}; return { status = "Healthy", message = tostring(table.getn(t)) .. select("#", unpack(t)) }',
        {},
        { useOpenLibs: false },
      ),
    ).toEqual({ status: 'Healthy', message: '33' });
  });

  it('builds Lua literals that keep integers, floats and odd keys', () => {
    expect(toLuaLiteral({ a: [1, 2.5, true], 'odd-key': null, s: 'x"y' })).toBe(
      '{["a"]={1,2.5,true},["s"]="x\\"y"}',
    );
  });
});
