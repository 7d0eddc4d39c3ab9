// Parsers for the numeric command-line options, for commander's `.option(flags, description, parser)`.
// A bad value throws commander's InvalidArgumentError, so commander names the option and the value
// ("option '--concurrency <n>' argument 'abc' is invalid. ...") and the CLI exits 2 (usage error).
// Only plain decimal digits are numbers here: Number() alone would take "", " 5", "0x10", "1e3" or
// "Infinity".
import { InvalidArgumentError } from 'commander';

const WHOLE = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

/** A whole number from `min` to `max`; `unit` words the message ("minutes", "a port number"). */
export function wholeNumber(min: number, max: number, unit = 'a whole number'): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!WHOLE.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`It must be ${unit} from ${min} to ${max}.`);
    return n;
  };
}

/** A number (decimals allowed) from `min` to `max`. */
export function decimalNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!DECIMAL.test(value.trim()) || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`It must be a number from ${min} to ${max}.`);
    return n;
  };
}

/** A TCP port; 0 = any free port. */
export const portNumber = wholeNumber(0, 65535, 'a port number');
