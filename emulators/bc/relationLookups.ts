// Lookups of related records by code, number or id, with the errors BC gives when the related record does
// not exist (a table relation on a table field, or the API page's own "does not match" check).
import { bcErrors } from './bcErrors';
import type { BcState } from './bcState';
import { BLANK_GUID, LCY_CODE } from './entityModel';
import type { JsonRow } from './entityTable';

export function findByCode(
  state: BcState,
  entitySet: string,
  field: string,
  value: string,
): JsonRow | undefined {
  const table = state.table(entitySet);
  const id = table.findByUniqueKey({ [field]: value });
  return id === undefined ? undefined : table.get(id)?.data;
}

export function findById(state: BcState, entitySet: string, id: string): JsonRow | undefined {
  return state.get(entitySet, id)?.data;
}

/** A table-relation field (e.g. Customer."Salesperson Code") must point at an existing record or be blank. */
export function requireRelated(
  state: BcState,
  value: unknown,
  target: { entitySet: string; field: string; table: string },
  source: { field: string; table: string },
): JsonRow | undefined {
  if (value === '' || value === undefined) return undefined;
  const related = findByCode(state, target.entitySet, target.field, String(value));
  if (!related) throw bcErrors.tableRelation(source.field, source.table, String(value), target.table);
  return related;
}

/**
 * The API's paired code/id fields (currencyCode + currencyId, baseUnitOfMeasureCode + ...Id): whichever the
 * client set decides the other; both set and disagreeing is BC's "values do not match" error.
 */
export function resolveCodeAndId(
  state: BcState,
  row: JsonRow,
  changes: JsonRow,
  spec: {
    codeField: string;
    idField: string;
    entitySet: string;
    targetCodeField: string;
    /** Caption used in "does not match to a <noun>". */
    noun: string;
    /** Code shown for a blank value (the local currency for currencies). */
    blankCode?: string;
  },
): void {
  const blankCode = spec.blankCode ?? '';
  const codeGiven = spec.codeField in changes;
  const idGiven = spec.idField in changes;
  if (!codeGiven && !idGiven) return;
  let byCode: JsonRow | undefined;
  let codeIsBlank = false;
  if (codeGiven) {
    const code = String(changes[spec.codeField]);
    codeIsBlank = code === '' || code === blankCode;
    if (!codeIsBlank) {
      byCode = findByCode(state, spec.entitySet, spec.targetCodeField, code);
      if (!byCode) throw bcErrors.dialog(`The "${spec.codeField}" does not match to a ${spec.noun}.`);
    }
  }
  let byId: JsonRow | undefined;
  let idIsBlank = false;
  if (idGiven) {
    const id = String(changes[spec.idField]);
    idIsBlank = id === BLANK_GUID;
    if (!idIsBlank) {
      byId = findById(state, spec.entitySet, id);
      if (!byId) throw bcErrors.dialog(`The "${spec.idField}" does not match to a ${spec.noun}.`);
    }
  }
  if (codeGiven && idGiven && (byCode?.id ?? BLANK_GUID) !== (byId?.id ?? BLANK_GUID)) {
    throw bcErrors.dialog(`The ${spec.noun.toLowerCase()} values do not match to a specific ${spec.noun}.`);
  }
  const target = byCode ?? byId;
  row[spec.codeField] = target ? target[spec.targetCodeField] : blankCode;
  row[spec.idField] = target ? target.id : BLANK_GUID;
}

export function resolveCurrency(state: BcState, row: JsonRow, changes: JsonRow): void {
  resolveCodeAndId(state, row, changes, {
    codeField: 'currencyCode',
    idField: 'currencyId',
    entitySet: 'currencies',
    targetCodeField: 'code',
    noun: 'Currency',
    // The API shows the local currency's code for a blank Currency Code (GraphMgtGeneralTools).
    blankCode: LCY_CODE,
  });
  if (row.currencyCode === '') row.currencyCode = LCY_CODE;
}

/** A GUID reference that has no code twin in the API (paymentTermsId, shipmentMethodId). */
export function requireIdReference(
  state: BcState,
  changes: JsonRow,
  field: string,
  entitySet: string,
  noun: string,
): void {
  if (!(field in changes)) return;
  const id = String(changes[field]);
  if (id === BLANK_GUID) return;
  if (!findById(state, entitySet, id)) throw bcErrors.dialog(`The "${field}" does not match to a ${noun}.`);
}

const EMAIL_RE = /^[^@\s;]+@[^@\s;]+$/;

/** BC's MailManagement check: every `;`-separated address needs one @ and no spaces. */
export function checkEmail(value: unknown): void {
  if (typeof value !== 'string' || value === '') return;
  for (const address of value.split(';').map((a) => a.trim())) {
    if (address !== '' && !EMAIL_RE.test(address)) {
      throw bcErrors.dialog(`The email address "${address}" is not valid.`);
    }
  }
}

/** Customer/Contact "Phone No." OnValidate: letters are refused. */
export function checkPhone(value: unknown, field: string, table: string, key: string): void {
  if (typeof value === 'string' && /\p{L}/u.test(value)) {
    throw bcErrors.fieldValidation(`${field} must not contain letters in ${table} ${key}.`);
  }
}

export const round2 = (n: number): number => Math.round(n * 100) / 100;
