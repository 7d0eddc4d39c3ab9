// BC number series (table "No. Series Line"): the next number is the last one with its rightmost digit run
// incremented by the series' step, width kept (C00010 -> C00020), as BC's IncStr does.

export interface NumberSeriesState {
  /** Last number handed out; undefined when the series was never used. */
  lastUsed?: string;
  readonly start: string;
  readonly step: number;
}

/** Series of the emulated company, modelled on the CRONUS demo company. */
export const DEFAULT_SERIES: Readonly<Record<string, { start: string; step: number }>> = {
  CUST: { start: 'C00010', step: 10 },
  CONT: { start: 'CT000001', step: 1 },
  ITEM: { start: '1000', step: 1 },
  RES: { start: 'R0010', step: 10 },
  'S-INV': { start: 'S-INV102201', step: 1 },
  'PS-INV': { start: 'PS-INV103001', step: 1 },
};

export function incrementNumber(value: string, step: number): string {
  const match = /(\d+)(\D*)$/.exec(value);
  if (!match)
    throw new Error(`Number '${value}' has no digits to increment (BC IncStr needs a number part).`);
  const digits = match[1];
  const next = String(BigInt(digits) + BigInt(step)).padStart(digits.length, '0');
  const start = match.index;
  return value.slice(0, start) + next + match[2];
}

export class NumberSeriesSet {
  private readonly series = new Map<string, NumberSeriesState>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.series.clear();
    for (const [code, s] of Object.entries(DEFAULT_SERIES)) this.series.set(code, { ...s });
  }

  /** Next number, skipping numbers `taken` says exist already (a client may have chosen them by hand). */
  next(code: string, taken: (candidate: string) => boolean): string {
    const s = this.mustGet(code);
    let candidate = s.lastUsed === undefined ? s.start : incrementNumber(s.lastUsed, s.step);
    while (taken(candidate)) candidate = incrementNumber(candidate, s.step);
    s.lastUsed = candidate;
    return candidate;
  }

  lastUsed(code: string): string | undefined {
    return this.mustGet(code).lastUsed;
  }

  /** Undo of `next` inside a rolled-back batch. */
  restore(code: string, lastUsed: string | undefined): void {
    this.mustGet(code).lastUsed = lastUsed;
  }

  snapshot(): Record<string, string | undefined> {
    return Object.fromEntries([...this.series].map(([code, s]) => [code, s.lastUsed]));
  }

  load(snapshot: Record<string, string | undefined>): void {
    for (const [code, lastUsed] of Object.entries(snapshot)) {
      if (this.series.has(code)) this.mustGet(code).lastUsed = lastUsed;
    }
  }

  private mustGet(code: string): NumberSeriesState {
    const s = this.series.get(code);
    if (!s)
      throw new Error(`Unknown number series '${code}' (known: ${[...this.series.keys()].join(', ')}).`);
    return s;
  }
}
