/**
 * Imported first by tests of `relay()`, which reads its settings with `loadConfig` like the
 * production entry: its logger then writes nothing to the test run's stdout.
 */
process.env.LOG_LEVEL = 'silent';
