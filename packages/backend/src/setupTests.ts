// These tests start real servers, moto, git and a Lua VM; on a loaded
// machine their first steps take longer than jest's 5 s default.
jest.setTimeout(30_000);
