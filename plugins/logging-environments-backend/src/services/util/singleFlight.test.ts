import { SingleFlight } from './singleFlight';

describe('SingleFlight', () => {
  it('runs one call for concurrent callers of the same key and a new one afterwards', async () => {
    const flight = new SingleFlight<number>();
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    const call = async () => {
      calls += 1;
      await gate;
      return calls;
    };
    const results = Promise.all(
      Array.from({ length: 100 }, () => flight.run('a', call)),
    );
    const other = flight.run('b', call);
    release();
    expect(await results).toEqual(Array(100).fill(2));
    expect(await other).toBe(2);
    expect(calls).toBe(2);
    await expect(flight.run('a', call)).resolves.toBe(3);
  });

  it('gives every waiting caller the failure, then tries again on the next call', async () => {
    const flight = new SingleFlight<string>();
    const failing = jest.fn(async () => {
      throw new Error('cluster unreachable');
    });
    await expect(
      Promise.all([flight.run('a', failing), flight.run('a', failing)]),
    ).rejects.toThrow('cluster unreachable');
    expect(failing).toHaveBeenCalledTimes(1);
    await expect(flight.run('a', async () => 'ok')).resolves.toBe('ok');
  });
});
