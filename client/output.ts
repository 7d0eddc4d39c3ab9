// Human-readable tables by default, `--json` for scripts (a contract: see the README).
import Table from 'cli-table3';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(head: string[], rows: (string | number | undefined | null)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((c) => (c === undefined || c === null ? '' : String(c))));
  process.stdout.write(`${table.toString()}\n`);
}

/** A CLI failure the user can act on: printed without a stack, exit code 1 (2 for usage errors). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
