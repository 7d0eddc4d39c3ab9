// Reads environment variables through zod, collecting every problem before failing, so one start shows
// all there is to fix. A problem names the variable and what to set; the value itself is never echoed (it
// may be a secret pasted into the wrong variable).
import type { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  readonly problems: string[] = [];
  constructor(
    private readonly env: Env,
    /** What each variable holds, shown when it is missing or wrong. */
    private readonly hints: Readonly<Record<string, string>>,
  ) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  required<T>(name: string, schema: z.ZodType<T>): T {
    const value = this.raw(name);
    if (value === undefined) {
      this.problems.push(`${name} is not set: set it to ${this.hint(name)}`);
      return undefined as T;
    }
    return this.parse(name, schema, value);
  }

  optional<T>(name: string, schema: z.ZodType<T>, fallback: T): T {
    const value = this.raw(name);
    return value === undefined ? fallback : this.parse(name, schema, value);
  }

  hint(name: string): string {
    return this.hints[name] ?? 'a valid value';
  }

  private parse<T>(name: string, schema: z.ZodType<T>, value: string): T {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    this.problems.push(
      `${name} is invalid (${result.error.issues[0]?.message ?? 'invalid'}): set it to ${this.hint(name)}`,
    );
    return undefined as T;
  }
}
