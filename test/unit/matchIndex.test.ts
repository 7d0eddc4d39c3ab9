// Match-based coupling's decisions for a page (activities/engine/matchCoupling.ts; docs/match-based-coupling.md,
// bc-integration-behaviour.md section 7), without a server: which couplings a page has to look up.
import type { EntityPage, JsonRecord, TableClient } from '../../activities/connectors/types';
import { MatchIndex } from '../../activities/engine/matchCoupling';
import type { IntegrationTableMapping } from '../../activities/mappings/integrationTableMapping';

/** A side that serves `records` as one page. */
function side(records: JsonRecord[], key: string): TableClient {
  return {
    keyField: () => key,
    readPages: async function* (): AsyncIterable<EntityPage> {
      yield { records } as EntityPage;
    },
  } as unknown as TableClient;
}

const mapping = {
  bc: { entitySet: 'customers' },
  crm: { entitySet: 'accounts', key: 'accountid' },
  matchFieldSets: [
    { priority: 1, fields: [{ bcField: 'displayName', crmField: 'name', caseSensitive: false }] },
  ],
} as unknown as IntegrationTableMapping;

describe('match-based coupling: couplings looked up per page', () => {
  it('a page whose records have no candidate on the other side looks up no coupling; one that has, its group', async () => {
    const bc = side(
      [
        { id: 'b1', displayName: 'Alpine Ski House' },
        { id: 'b2', displayName: 'Trey Research' },
      ],
      'id',
    );
    const crm = side([{ accountid: 'c1', name: 'alpine ski house' }], 'accountid');
    const index = await MatchIndex.build({ bc, crm, mapping });
    const asked: Array<[string, string[]]> = [];
    const coupled = (s: 'bc' | 'crm', ids: string[]) => {
      if (ids.length > 0) asked.push([s, ids]);
      return Promise.resolve(new Set<string>());
    };

    const none = await index.decide('bc', [{ id: 'b2', rec: { displayName: 'Trey Research' } }], coupled);
    expect(none.get('b2')).toEqual({ kind: 'none' });
    expect(asked).toEqual([]);

    const match = await index.decide('bc', [{ id: 'b1', rec: { displayName: 'Alpine Ski House' } }], coupled);
    expect(match.get('b1')).toEqual({ kind: 'couple', destId: 'c1', priority: 1 });
    expect(asked).toEqual([
      ['bc', ['b1']],
      ['crm', ['c1']],
    ]);
  });

  it('a candidate already coupled elsewhere is no match', async () => {
    const bc = side([{ id: 'b1', displayName: 'Alpine Ski House' }], 'id');
    const crm = side([{ accountid: 'c1', name: 'Alpine Ski House' }], 'accountid');
    const index = await MatchIndex.build({ bc, crm, mapping });
    const decisions = await index.decide(
      'bc',
      [{ id: 'b1', rec: { displayName: 'Alpine Ski House' } }],
      (s, ids) => Promise.resolve(new Set(s === 'crm' ? ids : [])),
    );
    expect(decisions.get('b1')).toEqual({ kind: 'none' });
  });
});
