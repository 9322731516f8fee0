import { REDIS_MISSING, redisTestsRun } from '../helpers/redis-server';

describe('whether the Redis tests run', () => {
  it('runs them when there is a redis-server', () => {
    expect(redisTestsRun({ server: '/usr/bin/redis-server', ci: 'true', print: () => undefined })).toBe(true);
  });

  it('skips them on a machine without redis-server, printing how to install and run them', () => {
    const printed: string[] = [];
    expect(redisTestsRun({ server: undefined, ci: undefined, print: (line) => void printed.push(line) })).toBe(false);
    expect(printed).toEqual([REDIS_MISSING]);
    expect(REDIS_MISSING).toMatch(/apt-get install redis-server.*npm test/);
  });

  it('fails the run under CI=true when redis-server is missing', () => {
    expect(() => redisTestsRun({ server: undefined, ci: 'true', print: () => undefined })).toThrow(
      /^CI=true but Redis tests skipped/,
    );
  });
});
