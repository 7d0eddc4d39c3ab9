// common/failureReason.ts: the reason of a failure is its cause chain without Temporal's wrapper texts.
import {
  ActivityFailure,
  ApplicationFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { failureReason, hasFailureType, INVALID_INPUT } from '../../common/failureReason';

const activityFailure = (cause: Error) =>
  new ActivityFailure(
    'Activity task failed',
    'runJobQueueEntry',
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    'w',
    cause,
  );

test('an activity failure gives the activity\'s own message, not "Activity task failed"', () => {
  const cause = ApplicationFailure.nonRetryable('CUSTOMER: BCSYNC_BC_TENANT is not set', 'BadConfig');
  expect(failureReason(activityFailure(cause))).toBe('CUSTOMER: BCSYNC_BC_TENANT is not set');
});

test('client wrappers are skipped by name; messages that quote their cause are not repeated', () => {
  const inner = ApplicationFailure.nonRetryable('frequencyMinutes: too small', INVALID_INPUT);
  const update = Object.assign(new Error('Workflow Update failed', { cause: inner }), {
    name: 'WorkflowUpdateFailedError',
  });
  expect(failureReason(update)).toBe('frequencyMinutes: too small');
  expect(hasFailureType(update, INVALID_INPUT)).toBe(true);
  expect(hasFailureType(update, 'BadConfig')).toBe(false);
  const quoting = ApplicationFailure.create({ message: 'Run failed: boom', cause: new Error('boom') });
  expect(failureReason(quoting)).toBe('Run failed: boom');
});

test('a timeout names itself and what the last attempt said', () => {
  const timeout = new TimeoutFailure('activity Heartbeat timeout', undefined, TimeoutType.HEARTBEAT);
  Object.assign(timeout, { cause: new Error('BC answered 503') });
  expect(failureReason(activityFailure(timeout))).toBe('activity Heartbeat timeout: BC answered 503');
  expect(failureReason('plain')).toBe('plain');
});
