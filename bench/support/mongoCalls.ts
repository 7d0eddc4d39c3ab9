// Diagnostics of a benchmark's worker (BENCH_COUNT_MONGO=1): the MongoDB driver calls it makes, by
// collection and method, printed to stderr when the worker is stopped - which of bcsync's stores costs
// how many round trips per API request. A `findOne` is counted once more as the `find` it runs on; a
// write refused by a unique index once more as `<collection>.<method> duplicate`.
import { Collection } from 'mongodb';

const METHODS = [
  'insertOne',
  'insertMany',
  'find',
  'findOne',
  'updateOne',
  'updateMany',
  'replaceOne',
  'bulkWrite',
  'deleteOne',
  'deleteMany',
  'countDocuments',
  'aggregate',
] as const;

export function countMongoCalls(): Record<string, number> {
  const counts: Record<string, number> = {};
  const proto = Collection.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of METHODS) {
    const original = proto[method]!;
    proto[method] = function (this: Collection, ...args: unknown[]) {
      const key = `${this.collectionName}.${method}`;
      counts[key] = (counts[key] ?? 0) + 1;
      const result = original.apply(this, args);
      // A write refused by a unique index (the shared budget's lost races) is counted apart.
      if (result instanceof Promise)
        result.catch((err: unknown) => {
          if ((err as { code?: number }).code === 11000)
            counts[`${key} duplicate`] = (counts[`${key} duplicate`] ?? 0) + 1;
        });
      return result;
    };
  }
  return counts;
}
