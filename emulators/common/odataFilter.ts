// The OData `$filter` subset both emulators understand (emulator contract: odataFilter.ts). The text is
// parsed once into closures so a 100,000-row scan costs one function call per row, not a re-parse.
//
// Comparison semantics: Dataverse compares strings case-insensitively (its SQL collation); Business Central
// compares them case-sensitively unless the filter uses tolower/toupper (each emulator says which). GUIDs
// compare case-insensitively, and an ordering comparison (gt/ge/lt/le) against null is false (as `NULL > x`
// is unknown in SQL). With `propertyType` a literal must fit the property's type (a quoted date on a
// datetime property is an error, as in OData); with `orAcrossProperties: false` an `or` may not combine
// conditions on different properties (Business Central's documented limit).

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    /** Zero-based character position in the filter text. */
    readonly position: number,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

export type FilterRow = Record<string, unknown>;
export type FilterPredicate = (row: FilterRow) => boolean;

/** The type of a property as the filter checks literals against it. */
export type FilterValueType = 'string' | 'number' | 'datetime' | 'date' | 'guid' | 'boolean';

export interface FilterOptions {
  /** Compare strings ignoring case (default true, as Dataverse does; Business Central: false). */
  caseInsensitive?: boolean;
  /** The type of each property; a literal of another type is a FilterSyntaxError. Unknown: not checked. */
  propertyType?: (name: string) => FilterValueType | undefined;
  /** Whether `a eq 1 or b eq 2` (different properties) is allowed (default true; Business Central: false). */
  orAcrossProperties?: boolean;
  /** Whether a quoted GUID may be compared with a GUID property (Dataverse's examples do so). */
  quotedGuids?: boolean;
}

export interface CompiledFilter {
  predicate: FilterPredicate;
  /** Every property path the filter reads (first path segment), so an emulator can reject unknown names. */
  properties: string[];
  /**
   * Guid values a property must take for a row to match (`id eq <guid> or id eq <guid> ...`, possibly
   * and-ed with more conditions), lower-cased. The emulators answer fetch-by-id filters from their key
   * index with it instead of evaluating the filter on every row; the predicate still decides.
   */
  guidEqualities: ReadonlyMap<string, ReadonlySet<string>>;
}

type GuidHints = Map<string, Set<string>>;

type TokenKind = 'ident' | 'string' | 'number' | 'datetime' | 'guid' | 'lparen' | 'rparen' | 'comma' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?/;
const NUMBER_RE = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?/;
const IDENT_RE = /^[A-Za-z_@$][A-Za-z0-9_./@$]*/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '(') {
      tokens.push({ kind: 'lparen', text: ch, pos: i++ });
      continue;
    }
    if (ch === ')') {
      tokens.push({ kind: 'rparen', text: ch, pos: i++ });
      continue;
    }
    if (ch === ',') {
      tokens.push({ kind: 'comma', text: ch, pos: i++ });
      continue;
    }
    if (ch === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length)
          throw new FilterSyntaxError(`Unterminated string literal at position ${start}.`, start);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ kind: 'string', text: value, pos: start });
      continue;
    }
    const rest = text.slice(i);
    const guid = GUID_RE.exec(rest);
    if (guid && !/[0-9A-Za-z_]/.test(rest[guid[0].length] ?? '')) {
      tokens.push({ kind: 'guid', text: guid[0], pos: i });
      i += guid[0].length;
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}/.test(rest) ? DATETIME_RE.exec(rest) : null;
    if (dt) {
      tokens.push({ kind: 'datetime', text: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const num = NUMBER_RE.exec(rest);
    if (num) {
      tokens.push({ kind: 'number', text: num[0].replace(/[mMdDfFlL]$/, ''), pos: i });
      i += num[0].length;
      continue;
    }
    const ident = IDENT_RE.exec(rest);
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    throw new FilterSyntaxError(`Syntax error: unexpected character '${ch}' at position ${i}.`, i);
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

/** A value as the filter sees it: the literal kind decides how the other side is compared. */
type Evaluator = (row: FilterRow) => unknown;

interface Operand {
  evaluate: Evaluator;
  /** Set for literals; decides comparison semantics. */
  literal?: {
    kind: 'string' | 'number' | 'datetime' | 'guid' | 'bool' | 'null';
    value: unknown;
    raw?: string;
  };
  /** Set for a plain (single-segment) property reference. */
  property?: string;
  /** tolower(p)/toupper(p): a string-typed expression over property p. */
  typedAs?: { property: string; type: FilterValueType };
}

const COMPARISON_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

class Parser {
  private index = 0;
  readonly properties = new Set<string>();
  /** Per predicate: property -> the guids it must equal (see CompiledFilter.guidEqualities). */
  readonly hints = new WeakMap<FilterPredicate, GuidHints>();

  /** `a or b` constrains a property only when both sides do: to the union of their values. */
  private orHints(a: FilterPredicate, b: FilterPredicate, result: FilterPredicate): void {
    const ha = this.hints.get(a);
    const hb = this.hints.get(b);
    if (!ha || !hb) return;
    const out: GuidHints = new Map();
    for (const [prop, values] of ha) {
      const other = hb.get(prop);
      if (other) out.set(prop, new Set([...values, ...other]));
    }
    if (out.size > 0) this.hints.set(result, out);
  }

  /** `a and b` constrains every property either side does (to the intersection when both do). */
  private andHints(a: FilterPredicate, b: FilterPredicate, result: FilterPredicate): void {
    const ha = this.hints.get(a);
    const hb = this.hints.get(b);
    if (!ha && !hb) return;
    const out: GuidHints = new Map(ha);
    for (const [prop, values] of hb ?? []) {
      const mine = out.get(prop);
      out.set(prop, mine ? new Set([...values].filter((v) => mine.has(v))) : values);
    }
    this.hints.set(result, out);
  }

  /** Per predicate: the properties it reads (for the `or` across properties check). */
  private readonly reads = new WeakMap<FilterPredicate, ReadonlySet<string>>();
  private readonly caseInsensitive: boolean;

  constructor(
    private readonly tokens: Token[],
    private readonly options: FilterOptions,
  ) {
    this.caseInsensitive = options.caseInsensitive ?? true;
  }

  private readsOf(p: FilterPredicate): ReadonlySet<string> {
    return this.reads.get(p) ?? new Set();
  }

  parse(): FilterPredicate {
    if (this.peek().kind === 'end') throw new FilterSyntaxError('Syntax error: the filter is empty.', 0);
    const predicate = this.parseOr();
    const tail = this.peek();
    if (tail.kind !== 'end') {
      throw new FilterSyntaxError(
        `Syntax error at position ${tail.pos}: unexpected '${tail.text}'.`,
        tail.pos,
      );
    }
    return predicate;
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    return this.tokens[this.index++];
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'ident' && token.text.toLowerCase() === word;
  }

  private expect(kind: TokenKind, what: string): Token {
    const token = this.next();
    if (token.kind !== kind) {
      throw new FilterSyntaxError(
        `Syntax error at position ${token.pos}: expected ${what} but found '${token.text || 'end of filter'}'.`,
        token.pos,
      );
    }
    return token;
  }

  private parseOr(): FilterPredicate {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      const orToken = this.next();
      const right = this.parseAnd();
      const l = left;
      left = (row) => l(row) || right(row);
      this.orHints(l, right, left);
      const both = new Set([...this.readsOf(l), ...this.readsOf(right)]);
      if (this.options.orAcrossProperties === false && both.size > 1) {
        throw new FilterSyntaxError(
          `The 'OR' operator is not supported on distinct fields on an OData filter (${[...both].join(', ')} at position ${orToken.pos}).`,
          orToken.pos,
        );
      }
      this.reads.set(left, both);
    }
    return left;
  }

  private parseAnd(): FilterPredicate {
    let left = this.parseNot();
    while (this.isKeyword('and')) {
      this.next();
      const right = this.parseNot();
      const l = left;
      left = (row) => l(row) && right(row);
      this.andHints(l, right, left);
      this.reads.set(left, new Set([...this.readsOf(l), ...this.readsOf(right)]));
    }
    return left;
  }

  private parseNot(): FilterPredicate {
    if (this.isKeyword('not')) {
      this.next();
      const inner = this.parseNot();
      const negated: FilterPredicate = (row) => !inner(row);
      this.reads.set(negated, this.readsOf(inner));
      return negated;
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterPredicate {
    const start = this.peek();
    // A parenthesised boolean expression.
    if (start.kind === 'lparen') {
      this.next();
      const inner = this.parseOr();
      this.expect('rparen', "')'");
      return inner;
    }
    const predicate = this.parseComparisonTerm();
    this.reads.set(predicate, new Set(this.termProperties));
    return predicate;
  }

  /** Property names read by the comparison being parsed (reset per term). */
  private termProperties = new Set<string>();

  private parseComparisonTerm(): FilterPredicate {
    this.termProperties = new Set();
    const left = this.parseOperand();
    const opToken = this.peek();
    if (opToken.kind === 'ident' && COMPARISON_OPS.has(opToken.text.toLowerCase())) {
      this.next();
      const right = this.parseOperand();
      this.checkLiteralType(left, right, opToken);
      this.checkLiteralType(right, left, opToken);
      const predicate = this.compare(opToken.text.toLowerCase(), left, right);
      const property = left.property ?? right.property;
      const guid = right.literal?.kind === 'guid' ? right.literal : left.literal;
      if (opToken.text.toLowerCase() === 'eq' && property && guid?.kind === 'guid')
        this.hints.set(predicate, new Map([[property, new Set([String(guid.value)])]]));
      return predicate;
    }
    // A bare boolean operand: a function call (contains(...)) or a boolean property.
    const evaluate = left.evaluate;
    return (row) => evaluate(row) === true;
  }

  /** A literal compared with a typed property must be of that type (OData literal typing). */
  private checkLiteralType(property: Operand, literal: Operand, opToken: Token): void {
    const name = property.property ?? property.typedAs?.property;
    const lit = literal.literal;
    if (!name || !lit || lit.kind === 'null' || !this.options.propertyType) return;
    const type = property.typedAs?.type ?? this.options.propertyType(name);
    if (!type) return;
    const fits =
      (lit.kind === 'string' &&
        (type === 'string' ||
          (type === 'guid' && this.options.quotedGuids === true && GUID_RE.test(String(lit.value))))) ||
      (lit.kind === 'number' && type === 'number') ||
      (lit.kind === 'datetime' && (type === 'datetime' || type === 'date')) ||
      (lit.kind === 'guid' && type === 'guid') ||
      (lit.kind === 'bool' && type === 'boolean');
    if (!fits) {
      const shown = lit.kind === 'string' ? `'${String(lit.value)}'` : String(lit.raw ?? lit.value);
      throw new FilterSyntaxError(
        `A binary operator with incompatible types was detected. Found operand types '${type}' and '${lit.kind}' for operator kind '${opToken.text}' (property '${name}', literal ${shown}).`,
        opToken.pos,
      );
    }
  }

  private parseOperand(): Operand {
    const token = this.next();
    switch (token.kind) {
      case 'string':
        return { evaluate: () => token.text, literal: { kind: 'string', value: token.text } };
      case 'number': {
        const value = Number(token.text);
        return { evaluate: () => value, literal: { kind: 'number', value, raw: token.text } };
      }
      case 'datetime': {
        const ms = Date.parse(token.text.length === 10 ? `${token.text}T00:00:00Z` : token.text);
        if (Number.isNaN(ms)) {
          throw new FilterSyntaxError(
            `Invalid date/time literal '${token.text}' at position ${token.pos}.`,
            token.pos,
          );
        }
        return { evaluate: () => ms, literal: { kind: 'datetime', value: ms, raw: token.text } };
      }
      case 'guid': {
        const value = token.text.toLowerCase();
        return { evaluate: () => value, literal: { kind: 'guid', value } };
      }
      case 'ident':
        return this.parseIdentifier(token);
      default:
        throw new FilterSyntaxError(
          `Syntax error at position ${token.pos}: expected a value or property but found '${token.text || 'end of filter'}'.`,
          token.pos,
        );
    }
  }

  private parseIdentifier(token: Token): Operand {
    const lower = token.text.toLowerCase();
    if (lower === 'null') return { evaluate: () => null, literal: { kind: 'null', value: null } };
    if (lower === 'true') return { evaluate: () => true, literal: { kind: 'bool', value: true } };
    if (lower === 'false') return { evaluate: () => false, literal: { kind: 'bool', value: false } };
    if (this.peek().kind === 'lparen') return this.parseFunction(token);
    if (COMPARISON_OPS.has(lower) || lower === 'and' || lower === 'or' || lower === 'not') {
      throw new FilterSyntaxError(
        `Syntax error at position ${token.pos}: expected a value or property but found '${token.text}'.`,
        token.pos,
      );
    }
    const path = token.text.split('/');
    this.properties.add(path[0]);
    this.termProperties.add(path[0]);
    if (path.length === 1) {
      const name = path[0];
      return { evaluate: (row) => row[name], property: name };
    }
    return {
      evaluate: (row) => {
        let current: unknown = row;
        for (const segment of path) {
          if (current === null || typeof current !== 'object') return null;
          current = (current as Record<string, unknown>)[segment];
        }
        return current;
      },
    };
  }

  private parseFunction(nameToken: Token): Operand {
    const name = nameToken.text.toLowerCase();
    this.expect('lparen', "'('");
    const args: Operand[] = [];
    if (this.peek().kind !== 'rparen') {
      args.push(this.parseOperand());
      while (this.peek().kind === 'comma') {
        this.next();
        args.push(this.parseOperand());
      }
    }
    this.expect('rparen', "')'");
    const fold = (v: unknown): string | null =>
      typeof v === 'string' ? (this.caseInsensitive ? v.toLowerCase() : v) : v == null ? null : String(v);
    const arity = (n: number): void => {
      if (args.length !== n) {
        throw new FilterSyntaxError(
          `Function '${nameToken.text}' at position ${nameToken.pos} takes ${n} argument(s), got ${args.length}.`,
          nameToken.pos,
        );
      }
    };
    switch (name) {
      case 'contains':
      case 'startswith':
      case 'endswith': {
        arity(2);
        const [a, b] = args;
        const test =
          name === 'contains'
            ? (x: string, y: string) => x.includes(y)
            : name === 'startswith'
              ? (x: string, y: string) => x.startsWith(y)
              : (x: string, y: string) => x.endsWith(y);
        return {
          evaluate: (row) => {
            const x = fold(a.evaluate(row));
            const y = fold(b.evaluate(row));
            return x !== null && y !== null && test(x, y);
          },
        };
      }
      case 'tolower':
      case 'toupper': {
        arity(1);
        const [a] = args;
        if (a.property && this.options.propertyType) {
          const type = this.options.propertyType(a.property);
          if (type && type !== 'string') {
            throw new FilterSyntaxError(
              `Function '${nameToken.text}' at position ${nameToken.pos} needs a string property; '${a.property}' is ${type}.`,
              nameToken.pos,
            );
          }
        }
        return {
          typedAs: a.property ? { property: a.property, type: 'string' } : undefined,
          evaluate: (row) => {
            const v = a.evaluate(row);
            if (typeof v !== 'string') return v;
            return name === 'tolower' ? v.toLowerCase() : v.toUpperCase();
          },
        };
      }
      default:
        throw new FilterSyntaxError(
          `Unknown function '${nameToken.text}' at position ${nameToken.pos}.`,
          nameToken.pos,
        );
    }
  }

  private compare(op: string, left: Operand, right: Operand): FilterPredicate {
    const kind = right.literal?.kind ?? left.literal?.kind;
    const normalise = this.normaliser(kind);
    const l = left.evaluate;
    const r = right.evaluate;
    const ordered = (test: (c: number) => boolean): FilterPredicate => {
      return (row) => {
        const a = normalise(l(row));
        const b = normalise(r(row));
        if (a === null || b === null) return false;
        return test(a < b ? -1 : a > b ? 1 : 0);
      };
    };
    switch (op) {
      case 'eq':
        return (row) => normalise(l(row)) === normalise(r(row));
      case 'ne':
        return (row) => normalise(l(row)) !== normalise(r(row));
      case 'gt':
        return ordered((c) => c > 0);
      case 'ge':
        return ordered((c) => c >= 0);
      case 'lt':
        return ordered((c) => c < 0);
      default:
        return ordered((c) => c <= 0);
    }
  }

  /** Brings both sides of a comparison to one comparable primitive, decided by the literal's kind. */
  private normaliser(kind: string | undefined): (v: unknown) => string | number | boolean | null {
    const ci = this.caseInsensitive;
    switch (kind) {
      case 'datetime':
        return (v) => {
          if (v == null) return null;
          if (typeof v === 'number') return v;
          const ms = Date.parse(String(v));
          return Number.isNaN(ms) ? null : ms;
        };
      case 'guid':
        return (v) => (v == null ? null : String(v).toLowerCase());
      case 'number':
        return (v) => {
          if (v == null) return null;
          const n = typeof v === 'number' ? v : Number(v);
          return Number.isNaN(n) ? null : n;
        };
      default:
        return (v) => {
          if (v == null) return null;
          if (typeof v === 'string') return ci ? v.toLowerCase() : v;
          if (typeof v === 'number' || typeof v === 'boolean') return v;
          return String(v);
        };
    }
  }
}

/** Parses `expr` and reports the properties it reads (so an emulator can answer "unknown property"). */
export function compileFilterWithInfo(expr: string, options: FilterOptions = {}): CompiledFilter {
  const parser = new Parser(tokenize(expr), options);
  const predicate = parser.parse();
  return {
    predicate,
    properties: [...parser.properties],
    guidEqualities: parser.hints.get(predicate) ?? new Map(),
  };
}

/** Compiles an OData `$filter` expression into a row predicate; throws FilterSyntaxError on bad input. */
export function compileFilter(expr: string, options: FilterOptions = {}): FilterPredicate {
  return compileFilterWithInfo(expr, options).predicate;
}
