// Every activity the worker registers, built from injected dependencies (no globals), so tests and
// the worker wire the same code to different servers.
import type { Db } from 'mongodb';
import { createStackCheckActivities } from './stackCheck';

export interface ActivityDeps {
  db: Db;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createStackCheckActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
