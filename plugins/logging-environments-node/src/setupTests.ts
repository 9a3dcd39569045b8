// Jest's default of 5 s per test is a timing window: a test that starts a
// database, moto or an HTTP server fails under load although nothing is
// wrong. Tests wait for explicit signals; this only guards against a hang.
jest.setTimeout(60_000);
