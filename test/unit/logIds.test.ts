// The one child-logger factory (activities/logger.ts withIds): each level adds its ids - the activity the
// run, the pass its job, the page the record - and masking stays the parent's.
import { createLogger, withIds, type IdLogger } from '../../activities/logger';

test('children of children carry every id, blanks left out, secrets still masked', () => {
  const lines: string[] = [];
  const logger = createLogger('test', 'info', { write: (line: string) => void lines.push(line) });
  const run = withIds(logger, {
    entry: 'CUSTOMER',
    workflowId: 'bcsync-entry-CUSTOMER',
    runId: 'r-1',
    company: undefined,
  });
  const pass = withIds(run, { mapping: 'CUSTOMER', direction: 'fromCrm', jobId: 'job-7' });
  withIds(pass, { crmId: 'c-1', bcId: '' })?.warn(
    { detail: 'bc POST https://u:pw-secret@bc.example/customers -> 400' },
    'record failed: Name is too long',
  );
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(line).toMatchObject({
    entry: 'CUSTOMER',
    workflowId: 'bcsync-entry-CUSTOMER',
    runId: 'r-1',
    mapping: 'CUSTOMER',
    direction: 'fromCrm',
    jobId: 'job-7',
    crmId: 'c-1',
    msg: 'record failed: Name is too long',
  });
  expect(line).not.toHaveProperty('company');
  expect(line).not.toHaveProperty('bcId');
  expect(lines[0]).not.toContain('pw-secret');
});

test('a logger without child() gets the ids merged into each line', () => {
  const seen: object[] = [];
  const plain: IdLogger = {
    info: (o) => void seen.push(o),
    warn: (o) => void seen.push(o),
    error: (o) => void seen.push(o),
  };
  withIds(withIds(plain, { jobId: 'job-1' }), { bcId: 'b-1' })?.warn({ field: 'Name' }, 'truncated');
  expect(seen).toEqual([{ jobId: 'job-1', bcId: 'b-1', field: 'Name' }]);
  expect(withIds(undefined, { jobId: 'x' })).toBeUndefined();
});
