// Human-readable tables by default, `--json` for scripts (a contract: see the README).
import Table from 'cli-table3';

// Characters a terminal acts on instead of showing: C0 controls (ESC starts an escape sequence, CR
// overwrites the line, BS erases), DEL, C1 controls (0x9B is a one-byte CSI), and the bidirectional
// overrides that reorder what is shown. Record names and API messages come from BC and Dataverse users:
// printed raw they could rewrite the operator's screen or hide what is really there.
const TERMINAL_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// In JSON, C0 controls are escaped by JSON.stringify already; the others are escaped too (still JSON).
const JSON_UNESCAPED_CONTROLS = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, digits: number) => c.charCodeAt(0).toString(16).toUpperCase().padStart(digits, '0');

/**
 * `text` safe for a terminal: each control character shown as `\xHH` / `\uHHHH` (tab as `\t`, CR as
 * `\r`); a newline stays (tables use it for lines within a cell) unless `newlines` is false.
 */
export function terminalText(text: string, { newlines = true }: { newlines?: boolean } = {}): string {
  const escaped = text.replace(TERMINAL_CONTROLS, (c) =>
    c === '\t' ? '\\t' : c === '\r' ? '\\r' : c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`,
  );
  return newlines ? escaped : escaped.replace(/\n/g, '\\n');
}

/** A line of text for the terminal (record names, messages): control characters escaped. */
export function printLine(text: string): void {
  process.stdout.write(`${terminalText(text)}\n`);
}

export function printJson(value: unknown): void {
  const text = JSON.stringify(value, null, 2).replace(JSON_UNESCAPED_CONTROLS, (c) => `\\u${hex(c, 4)}`);
  process.stdout.write(`${text}\n`);
}

export function printTable(head: string[], rows: (string | number | undefined | null)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows)
    table.push(row.map((c) => (c === undefined || c === null ? '' : terminalText(String(c)))));
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
