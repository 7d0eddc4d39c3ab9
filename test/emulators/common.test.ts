// Shared emulator building blocks: the OData $filter subset, the OAuth2 token issuer and fault injection.
import { FaultInjector } from '../../emulators/common/faults';
import { compileFilter, compileFilterWithInfo, FilterSyntaxError } from '../../emulators/common/odataFilter';
import { TokenIssuer } from '../../emulators/common/tokens';

describe('compileFilter', () => {
  const rows = [
    {
      id: 1,
      name: 'Contoso Ltd',
      city: 'Seattle',
      credit: 1000,
      active: true,
      modifiedon: '2024-01-01T10:00:00Z',
      owner: 'AAAAAAAA-0000-4000-8000-000000000001',
    },
    {
      id: 2,
      name: "O'Brien & Sons",
      city: null,
      credit: 250.5,
      active: false,
      modifiedon: '2024-01-01T10:00:01Z',
      owner: null,
    },
    {
      id: 3,
      name: 'Fabrikam',
      city: 'London',
      credit: 0,
      active: true,
      modifiedon: '2024-03-01T00:00:00.000Z',
      owner: 'bbbbbbbb-0000-4000-8000-000000000002',
    },
  ];
  const ids = (expr: string): number[] => rows.filter(compileFilter(expr)).map((r) => r.id);

  it('compares with eq ne gt ge lt le on numbers, strings and booleans', () => {
    expect(ids('credit eq 1000')).toEqual([1]);
    expect(ids('credit ne 1000')).toEqual([2, 3]);
    expect(ids('credit gt 250.5')).toEqual([1]);
    expect(ids('credit ge 250.5')).toEqual([1, 2]);
    expect(ids('credit lt 250.5')).toEqual([3]);
    expect(ids('credit le 0')).toEqual([3]);
    expect(ids("name eq 'Fabrikam'")).toEqual([3]);
    expect(ids('active eq true')).toEqual([1, 3]);
    expect(ids('active eq false')).toEqual([2]);
  });

  it('combines with and, or, not and parentheses (and binds tighter than or)', () => {
    expect(ids("city eq 'Seattle' or city eq 'London' and credit gt 10")).toEqual([1]);
    expect(ids("(city eq 'Seattle' or city eq 'London') and credit gt 10")).toEqual([1]);
    expect(ids("not (city eq 'Seattle')")).toEqual([2, 3]);
    expect(ids('not active')).toEqual([2]);
  });

  it('handles null: eq/ne match it, ordering comparisons never do', () => {
    expect(ids('city eq null')).toEqual([2]);
    expect(ids('city ne null')).toEqual([1, 3]);
    expect(ids("city gt 'A'")).toEqual([1, 3]);
  });

  it("reads quoted strings with '' escapes and compares strings case-insensitively", () => {
    expect(ids("name eq 'O''Brien & Sons'")).toEqual([2]);
    expect(ids("name eq 'CONTOSO LTD'")).toEqual([1]);
  });

  it('compares unquoted ISO date/times as instants (with or without milliseconds)', () => {
    expect(ids('modifiedon ge 2024-01-01T10:00:01Z')).toEqual([2, 3]);
    expect(ids('modifiedon gt 2024-01-01T10:00:00.000Z')).toEqual([2, 3]);
    expect(ids('modifiedon lt 2024-03-01T00:00:00Z')).toEqual([1, 2]);
  });

  it('compares unquoted GUIDs regardless of case', () => {
    expect(ids('owner eq aaaaaaaa-0000-4000-8000-000000000001')).toEqual([1]);
    expect(ids('owner eq BBBBBBBB-0000-4000-8000-000000000002')).toEqual([3]);
  });

  it('supports contains() and startswith()', () => {
    expect(ids("contains(name,'brien')")).toEqual([2]);
    expect(ids("startswith(name, 'fab')")).toEqual([3]);
    expect(ids("startswith(city,'x') or contains(name, 'LTD')")).toEqual([1]);
  });

  it('reports the properties a filter reads', () => {
    expect(
      compileFilterWithInfo("name eq 'x' and (credit gt 1 or contains(city,'y'))").properties.sort(),
    ).toEqual(['city', 'credit', 'name']);
  });

  it('tells which guids a key must equal, so a fetch by id is answered from the key index', () => {
    const g1 = '0D8E1F5A-0000-4000-8000-000000000001';
    const g2 = '0d8e1f5a-0000-4000-8000-000000000002';
    const hint = (expr: string) => {
      const values = compileFilterWithInfo(expr).guidEqualities.get('id');
      return values ? [...values].sort() : undefined;
    };
    expect(hint(`id eq ${g1} or id eq ${g2}`)).toEqual([g1.toLowerCase(), g2]);
    expect(hint(`(blocked eq ' ') and (id eq ${g1} or id eq ${g2})`)).toEqual([g1.toLowerCase(), g2]);
    expect(hint(`id eq ${g1} and id eq ${g2}`)).toEqual([]);
    // Anything that could match another id gives no hint: the whole table is filtered as before.
    expect(hint(`id eq ${g1} or name eq 'x'`)).toBeUndefined();
    expect(hint(`not (id eq ${g1})`)).toBeUndefined();
    expect(hint(`id ne ${g1}`)).toBeUndefined();
  });

  it('throws FilterSyntaxError naming the position of the problem', () => {
    const attempt = (expr: string): FilterSyntaxError => {
      try {
        compileFilter(expr);
      } catch (error) {
        if (error instanceof FilterSyntaxError) return error;
        throw error;
      }
      throw new Error(`'${expr}' was accepted`);
    };
    expect(attempt("name eq 'open").position).toBe(8);
    expect(attempt('name eq').message).toMatch(/position 7/);
    expect(attempt("name eq 'a' and").message).toMatch(/position 15/);
    expect(attempt("(name eq 'a'").message).toMatch(/position 12/);
    expect(attempt('credit # 2').position).toBe(7);
    expect(attempt("frobnicate(name,'a')").message).toMatch(/Unknown function 'frobnicate'/);
  });
});

describe('TokenIssuer', () => {
  const form = (secret: string, clientId = 'app-1'): string =>
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'https://org.example/.default',
    }).toString();

  it('issues a bearer token for the right secret and verifies it', () => {
    const issuer = new TokenIssuer({ clientId: 'app-1', clientSecret: 's3cret', tenant: 'contoso' });
    const answer = issuer.issue(form('s3cret'), 'contoso');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const token = String(answer.body.access_token);
    expect(issuer.verify(`Bearer ${token}`)).toEqual({ ok: true, clientId: 'app-1' });
  });

  it('rejects a wrong secret with 401 invalid_client (AADSTS7000215) without echoing the secret', () => {
    const issuer = new TokenIssuer({ clientId: 'app-1', clientSecret: 's3cret' });
    const answer = issuer.issue(form('not-the-secret'));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect(String(answer.body.error_description)).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    expect(JSON.stringify(answer.body)).not.toContain('not-the-secret');
  });

  it('rejects an unknown client, a wrong tenant and a wrong grant type', () => {
    const issuer = new TokenIssuer({ clientId: 'app-1', clientSecret: 's3cret', tenant: 'contoso' });
    expect(issuer.issue(form('s3cret', 'someone-else'), 'contoso')).toMatchObject({
      status: 400,
      body: { error: 'unauthorized_client' },
    });
    expect(issuer.issue(form('s3cret'), 'fabrikam')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(issuer.issue('grant_type=password&client_id=app-1&scope=x', 'contoso')).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
  });

  it('refuses missing, tampered, foreign and expired tokens', () => {
    let now = Date.UTC(2025, 0, 1);
    const issuer = new TokenIssuer({
      clientId: 'app-1',
      clientSecret: 's3cret',
      ttlSeconds: 60,
      now: () => now,
    });
    const token = String(issuer.issue(form('s3cret')).body.access_token);
    expect(issuer.verify(undefined).ok).toBe(false);
    expect(issuer.verify('Basic abc').ok).toBe(false);
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), appid: 'app-2' }),
    ).toString('base64url');
    expect(issuer.verify(`Bearer ${h}.${forged}.${s}`).ok).toBe(false);
    const other = new TokenIssuer({ clientId: 'app-1', clientSecret: 's3cret' });
    expect(other.verify(`Bearer ${token}`).ok).toBe(false);
    now += 61_000;
    expect(issuer.verify(`Bearer ${token}`)).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('FaultInjector', () => {
  it('repeats the same fault sequence for the same seed', () => {
    const sequence = (seed: number): string[] => {
      const faults = new FaultInjector({ rate429: 0.2, rate5xx: 0.2, dropRate: 0.1, seed });
      return Array.from({ length: 50 }, () => faults.decide());
    };
    expect(sequence(7)).toEqual(sequence(7));
    expect(sequence(7)).not.toEqual(sequence(8));
    expect(new Set(sequence(7))).toEqual(new Set(['ok', '429', '5xx', 'drop']));
  });

  it('answers 429 with Retry-After once the sliding-window budget is spent, per caller', () => {
    let now = 1_000_000;
    const faults = new FaultInjector({ budget: { requests: 3, windowSeconds: 10 } }, { now: () => now });
    expect([faults.decide('a'), faults.decide('a'), faults.decide('a')]).toEqual(['ok', 'ok', 'ok']);
    now += 4000;
    expect(faults.decideDetailed('a')).toEqual({
      kind: '429',
      retryAfterSeconds: 6,
      reason: 'budget',
      budgetRemaining: 0,
    });
    expect(faults.decide('b')).toBe('ok');
    now += 6000;
    expect(faults.decide('a')).toBe('ok');
  });

  it('replaces all settings on set() and rejects invalid ones', () => {
    const faults = new FaultInjector({ rate5xx: 1 });
    expect(faults.decide()).toBe('5xx');
    faults.set({ latencyMs: 5 });
    expect(faults.settings).toMatchObject({ latencyMs: 5, rate5xx: 0 });
    expect(faults.decide()).toBe('ok');
    expect(() => faults.set({ rate429: 2 })).toThrow();
  });
});
