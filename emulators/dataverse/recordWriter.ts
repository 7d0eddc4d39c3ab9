// Turns Web API request bodies into row changes, the way the Dataverse platform does on Create/Update:
// column validation (types, max lengths, SystemRequired), `@odata.bind` lookups, server-set columns
// (createdon/modifiedon at whole seconds, versionnumber, createdby/modifiedby = the caller, owner),
// computed columns, alternate-key uniqueness and delete cascades (apis.md B/C).
import { randomUUID } from 'node:crypto';
import { dvErrors } from './errors';
import { isGuid, parseEntityAddress, parseKey, type EntityKey } from './entityReference';
import {
  ENTITY_MODELS,
  ENTITY_SET_BY_LOGICAL,
  lookupValueName,
  type AttributeDef,
  type EntityModel,
  type LookupDef,
} from './schema';
import { alternateKeyValue, type DataverseStore, type Row } from './store';
import { applyPriceListItemRules, checkProductUnits, invoiceTotals } from './productCatalog';

export interface WriteContext {
  /** systemuserid written to createdby/modifiedby (the caller, or the impersonated user). */
  userId: string;
  /** Set when the caller impersonates `userId` (createdonbehalfby/modifiedonbehalfby). */
  onBehalfOfUserId?: string;
}

/** product statecode Draft (0 Active, 1 Retired, 2 Draft, 3 Under Revision). */
export const PRODUCT_DRAFT = 2;

export interface OrganizationInfo {
  organizationId: string;
  businessUnitId: string;
  /** Organization.CreateProductsWithoutParentInActiveState (false on a fresh Sales organization). */
  createProductsActive?: boolean;
  /** Base currency row id (transactioncurrencies); read lazily because seeds create it. */
  baseCurrencyId: () => string | undefined;
}

interface LookupChange {
  id: string;
  logicalName: string;
  nav: string;
}

interface BodyChanges {
  values: Map<string, unknown>;
  lookups: Map<string, LookupChange | null>;
  id?: string;
}

export const LOOKUP_LOGICAL_NAME = '@Microsoft.Dynamics.CRM.lookuplogicalname';
export const LOOKUP_NAVIGATION = '@Microsoft.Dynamics.CRM.associatednavigationproperty';

const EDM_TYPES: Record<string, string> = {
  string: 'Edm.String',
  memo: 'Edm.String',
  integer: 'Edm.Int32',
  decimal: 'Edm.Decimal',
  money: 'Edm.Decimal',
  boolean: 'Edm.Boolean',
  datetime: 'Edm.DateTimeOffset',
  dateonly: 'Edm.Date',
  guid: 'Edm.Guid',
  picklist: 'Edm.Int32',
  state: 'Edm.Int32',
  status: 'Edm.Int32',
};

export class RecordWriter {
  constructor(
    private readonly store: DataverseStore,
    private readonly org: OrganizationInfo,
  ) {}

  model(entitySet: string): EntityModel {
    const model = ENTITY_MODELS.get(entitySet);
    if (!model) throw dvErrors.resourceNotFound(entitySet);
    return model;
  }

  /** Finds the row a URL key designates (primary key or alternate key); undefined when absent. */
  resolveId(entitySet: string, key: EntityKey): string | undefined {
    const model = this.model(entitySet);
    if (key.kind === 'id') return this.store.get(entitySet, key.id) ? key.id : undefined;
    const names = Object.keys(key.values);
    const primary = key.values[model.def.primaryId];
    if (names.length === 1 && typeof primary === 'string' && isGuid(primary)) {
      return this.store.get(entitySet, primary.toLowerCase()) ? primary.toLowerCase() : undefined;
    }
    const keyDef = this.alternateKeyFor(model, key);
    const value = alternateKeyValue(key.values as Row, keyDef.attributes);
    return value === undefined ? undefined : this.store.findByAlternateKey(entitySet, keyDef.name, value);
  }

  alternateKeyFor(model: EntityModel, key: Extract<EntityKey, { kind: 'alternate' }>) {
    const names = Object.keys(key.values).sort();
    const keyDef = this.store
      .keysOf(model.def.entitySet)
      .find(
        (k) =>
          k.attributes.length === names.length && [...k.attributes].sort().every((a, i) => a === names[i]),
      );
    if (!keyDef) {
      throw dvErrors.invalidKey(
        model.def.logicalName,
        Object.entries(key.values)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? `'${v}'` : String(v)}`)
          .join(','),
      );
    }
    return keyDef;
  }

  /** Creates a row. `id` comes from an upsert URL; `keyValues` from an alternate-key upsert URL. */
  create(
    entitySet: string,
    body: unknown,
    ctx: WriteContext,
    options: { id?: string; keyValues?: Record<string, unknown> } = {},
  ): Row {
    const model = this.model(entitySet);
    const def = model.def;
    const changes = this.parseBody(model, body);
    const id = (options.id ?? changes.id ?? randomUUID()).toLowerCase();
    if (this.store.get(entitySet, id)) throw dvErrors.duplicateRecord();

    const row: Row = {};
    for (const attribute of def.attributes) {
      if (attribute.defaultValue !== undefined) row[attribute.name] = attribute.defaultValue;
    }
    if (def.states) {
      row.statecode = 0;
      row.statuscode = def.states.defaultStatus[0];
    }
    for (const [name, value] of Object.entries(options.keyValues ?? {})) {
      // Alternate-key values from the URL obey the same column rules as body values.
      const attribute = model.attributes.get(name);
      row[name] = attribute ? this.coerce(model, attribute, value) : value;
    }
    for (const [name, value] of changes.values) row[name] = value;
    this.applyLookups(row, changes.lookups);
    this.applyState(model, row, changes.values);
    row[def.primaryId] = id;
    if (entitySet === 'products' && !this.org.createProductsActive) {
      // A fresh Sales organization creates products in Draft (CreateProductsWithoutParentInActiveState
      // false), whatever the body says; publishing is a separate update of statecode (Publish, revise,
      // revert, retire, and activate products: https://learn.microsoft.com/dynamics365/sales/developer/publish-revise-revert-retire-activate-products).
      row.statecode = PRODUCT_DRAFT;
      row.statuscode = def.states!.defaultStatus[PRODUCT_DRAFT];
    }

    this.applyCatalogRules(entitySet, row, undefined);

    for (const attribute of def.attributes) {
      if (attribute.systemRequired && (row[attribute.name] === undefined || row[attribute.name] === null)) {
        throw dvErrors.requiredMissing(def.logicalName, attribute.name);
      }
    }
    for (const lookup of def.lookups) {
      if (lookup.systemRequired && typeof row[lookupValueName(lookup.attribute)] !== 'string') {
        throw dvErrors.requiredMissing(def.logicalName, lookup.attribute);
      }
    }

    const stamp = this.store.timestamp();
    row.createdon = stamp;
    row.modifiedon = stamp;
    row.versionnumber = this.store.nextVersion();
    this.setUser(row, 'createdby', ctx.userId);
    this.setUser(row, 'modifiedby', ctx.userId);
    this.setUser(row, 'createdonbehalfby', ctx.onBehalfOfUserId ?? null);
    this.setUser(row, 'modifiedonbehalfby', ctx.onBehalfOfUserId ?? null);
    if (def.ownership === 'user') {
      if (typeof row._ownerid_value !== 'string') this.setUser(row, 'ownerid', ctx.userId);
      this.setUser(row, 'owninguser', row._ownerid_value as string);
      row._owningbusinessunit_value = this.org.businessUnitId;
      row[`_owningbusinessunit_value${LOOKUP_LOGICAL_NAME}`] = 'businessunit';
    }
    this.applyComputed(model, row, changes, true);
    this.checkAlternateKeys(model, id, row);
    this.store.put(entitySet, id, row);
    this.afterCreate(entitySet, row, ctx);
    this.afterLineChange(entitySet, row, ctx);
    return row;
  }

  /** Updates an existing row (the caller checked existence and concurrency). */
  update(entitySet: string, id: string, body: unknown, ctx: WriteContext): Row {
    const model = this.model(entitySet);
    const def = model.def;
    const current = this.store.get(entitySet, id);
    if (!current) throw dvErrors.recordNotFound(def.logicalName, id);
    const changes = this.parseBody(model, body);
    const row: Row = { ...current };
    for (const [name, value] of changes.values) row[name] = value;
    this.applyLookups(row, changes.lookups);
    this.applyState(model, row, changes.values);
    for (const attribute of def.attributes) {
      if (
        attribute.systemRequired &&
        changes.values.has(attribute.name) &&
        changes.values.get(attribute.name) === null
      ) {
        throw dvErrors.requiredMissing(def.logicalName, attribute.name);
      }
    }
    for (const lookup of def.lookups) {
      if (lookup.systemRequired && changes.lookups.get(lookup.attribute) === null) {
        throw dvErrors.requiredMissing(def.logicalName, lookup.attribute);
      }
    }
    if (def.ownership === 'user' && changes.lookups.has('ownerid')) {
      if (typeof row._ownerid_value !== 'string') this.setUser(row, 'ownerid', ctx.userId);
      this.setUser(row, 'owninguser', row._ownerid_value as string);
    }
    this.applyCatalogRules(entitySet, row, current);
    // Every update gets a new version and modified time, even when no value changed (real platform).
    this.stampModified(row, ctx);
    this.applyComputed(model, row, changes, false);
    this.checkAlternateKeys(model, id, row);
    this.store.put(entitySet, id, row);
    this.afterLineChange(entitySet, row, ctx);
    this.afterLineChange(entitySet, current, ctx);
    return row;
  }

  /** Sets or clears one lookup (PUT/DELETE `.../nav/$ref`). */
  setReference(entitySet: string, id: string, nav: string, target: string | null, ctx: WriteContext): Row {
    return this.update(entitySet, id, { [`${nav}@odata.bind`]: target }, ctx);
  }

  /** Deletes a row and applies the cascade rules of its relationships. */
  delete(entitySet: string, id: string, ctx: WriteContext): void {
    const model = this.model(entitySet);
    if (!this.store.get(entitySet, id)) throw dvErrors.recordNotFound(model.def.logicalName, id);
    if (entitySet === 'systemusers') {
      throw dvErrors.badRequest('Users cannot be deleted; disable the user instead (isdisabled = true).');
    }
    if (entitySet === 'transactioncurrencies' && id === this.org.baseCurrencyId()) {
      throw dvErrors.badRequest('The base currency cannot be deleted.');
    }
    const before = this.store.get(entitySet, id);
    this.deleteCascade(entitySet, id, ctx, new Set());
    this.afterLineChange(entitySet, before, ctx);
  }

  /** Product catalog rules (productCatalog.ts) on the row about to be stored. */
  private applyCatalogRules(entitySet: string, row: Row, before: Row | undefined): void {
    if (entitySet === 'products') checkProductUnits(this.store, row, before);
    if (entitySet === 'productpricelevels') applyPriceListItemRules(this.store, row, before === undefined);
  }

  /** A written or deleted invoice line changes its invoice's totals, which the server recomputes. */
  private afterLineChange(entitySet: string, line: Row | undefined, ctx: WriteContext): void {
    if (entitySet !== 'invoicedetails' || typeof line?._invoiceid_value !== 'string') return;
    const invoice = this.store.get('invoices', line._invoiceid_value);
    if (!invoice) return;
    const totals = invoiceTotals(this.store, invoice);
    if (Object.entries(totals).every(([k, v]) => invoice[k] === v)) return;
    const row: Row = { ...invoice, ...totals };
    this.stampModified(row, ctx);
    this.store.put('invoices', line._invoiceid_value, row);
  }

  private deleteCascade(entitySet: string, id: string, ctx: WriteContext, visited: Set<string>): void {
    if (visited.has(id)) return;
    visited.add(id);
    for (const ref of this.store.referencesTo(id)) {
      const referencing = this.store.get(ref.entitySet, ref.id);
      if (!referencing) continue;
      const lookup = ENTITY_MODELS.get(ref.entitySet)!.lookupsByAttribute.get(ref.attribute)!;
      if (lookup.onDelete === 'cascade') {
        this.deleteCascade(ref.entitySet, ref.id, ctx, visited);
      } else {
        const row: Row = { ...referencing };
        this.clearLookup(row, lookup.attribute);
        this.stampModified(row, ctx);
        this.store.put(ref.entitySet, ref.id, row);
      }
    }
    this.store.put(entitySet, id, undefined);
  }

  private stampModified(row: Row, ctx: WriteContext): void {
    row.modifiedon = this.store.timestamp();
    row.versionnumber = this.store.nextVersion();
    this.setUser(row, 'modifiedby', ctx.userId);
    this.setUser(row, 'modifiedonbehalfby', ctx.onBehalfOfUserId ?? null);
  }

  private setUser(row: Row, attribute: string, userId: string | null): void {
    const name = lookupValueName(attribute);
    row[name] = userId;
    if (userId === null) delete row[`${name}${LOOKUP_LOGICAL_NAME}`];
    else row[`${name}${LOOKUP_LOGICAL_NAME}`] = 'systemuser';
  }

  private clearLookup(row: Row, attribute: string): void {
    const name = lookupValueName(attribute);
    row[name] = null;
    delete row[`${name}${LOOKUP_LOGICAL_NAME}`];
    delete row[`${name}${LOOKUP_NAVIGATION}`];
  }

  private applyLookups(row: Row, lookups: Map<string, LookupChange | null>): void {
    for (const [attribute, change] of lookups) {
      if (change === null) {
        this.clearLookup(row, attribute);
        continue;
      }
      const name = lookupValueName(attribute);
      row[name] = change.id;
      row[`${name}${LOOKUP_LOGICAL_NAME}`] = change.logicalName;
      row[`${name}${LOOKUP_NAVIGATION}`] = change.nav;
    }
  }

  /** statecode/statuscode pairs must be valid; a statecode alone gets its default status reason. */
  private applyState(model: EntityModel, row: Row, values: Map<string, unknown>): void {
    const states = model.def.states;
    if (!states) return;
    const logical = model.def.logicalName;
    if (values.has('statecode')) {
      const state = values.get('statecode');
      if (typeof state !== 'number' || states.defaultStatus[state] === undefined) {
        throw dvErrors.outOfRange(logical, 'statecode', state);
      }
      if (!values.has('statuscode') || values.get('statuscode') === null)
        row.statuscode = states.defaultStatus[state];
    }
    if (values.has('statuscode') && values.get('statuscode') !== null) {
      const status = values.get('statuscode') as number;
      const belongsTo = states.statusState[status];
      if (belongsTo === undefined) throw dvErrors.outOfRange(logical, 'statuscode', status);
      if (values.has('statecode') && belongsTo !== values.get('statecode')) {
        throw dvErrors.outOfRange(logical, 'statuscode', status);
      }
      row.statecode = belongsTo;
    }
  }

  private applyComputed(model: EntityModel, row: Row, changes: BodyChanges, creating: boolean): void {
    const entitySet = model.def.entitySet;
    if (entitySet === 'contacts' || entitySet === 'systemusers') {
      const parts = [row.firstname, row.lastname].filter((p) => typeof p === 'string' && p.trim() !== '');
      row.fullname = parts.length > 0 ? parts.join(' ') : null;
    }
    if (
      entitySet === 'invoices' &&
      creating &&
      (row.invoicenumber === undefined || row.invoicenumber === null)
    ) {
      // Auto-numbering like the real default (INV-01000-XXXXXX).
      const n = this.store.nextCounter('invoicenumber', 1000);
      const suffix = (n * 7919).toString(36).toUpperCase().padStart(6, '0').slice(-6);
      row.invoicenumber = `INV-${String(n).padStart(5, '0')}-${suffix}`;
    }
    if (entitySet === 'invoices') Object.assign(row, invoiceTotals(this.store, row));
    if (entitySet === 'productpricelevels' && typeof row._productid_value === 'string') {
      row.productnumber = this.store.get('products', row._productid_value)?.productnumber ?? null;
    }
    if (entitySet === 'invoicedetails') {
      const product =
        typeof row._productid_value === 'string'
          ? this.store.get('products', row._productid_value)
          : undefined;
      // Only a published (Active) product can be sold; a Draft or Retired one is refused.
      if (product && product.statecode !== 0 && changes.lookups.has('productid')) {
        throw dvErrors.productNotActive(String(product.productnumber ?? row._productid_value));
      }
      // A line of a catalog product is sold in one of the product's units (invoicedetail reference: UoMId).
      if (product && (changes.lookups.has('productid') || changes.lookups.has('uomid'))) {
        const unit =
          typeof row._uomid_value === 'string' ? this.store.get('uoms', row._uomid_value) : undefined;
        if (!unit || unit._uomscheduleid_value !== product._defaultuomscheduleid_value) {
          throw dvErrors.badRequest(
            `The invoice line's unit is not a unit of product ${String(product.productnumber)}'s unit group: set uomid to one of its units (its default unit is defaultuomid).`,
          );
        }
      }
      row.productname = product?.name ?? row.productdescription ?? null;
      // The server's own line amounts (invoicedetail reference: Amount "based on the price per unit,
      // volume discount, and quantity"; Extended Amount adds discounts and tax).
      const money = (v: unknown): number => (typeof v === 'number' ? v : 0);
      const base = (money(row.priceperunit) - money(row.volumediscountamount)) * money(row.quantity);
      row.baseamount = Math.round(base * 100) / 100;
      row.extendedamount = Math.round((base - money(row.manualdiscountamount) + money(row.tax)) * 100) / 100;
    }
    // A money value needs a currency: the platform defaults it to the base currency.
    const hasMoney = model.def.attributes.some(
      (a) => a.type === 'money' && changes.values.has(a.name) && changes.values.get(a.name) !== null,
    );
    if (model.lookupsByAttribute.has('transactioncurrencyid') && entitySet !== 'transactioncurrencies') {
      if (hasMoney && typeof row._transactioncurrencyid_value !== 'string') {
        const base = this.org.baseCurrencyId();
        if (base)
          this.applyLookups(
            row,
            new Map([
              [
                'transactioncurrencyid',
                { id: base, logicalName: 'transactioncurrency', nav: 'transactioncurrencyid' },
              ],
            ]),
          );
      }
      if (model.attributes.has('exchangerate')) {
        const currencyId = row._transactioncurrencyid_value;
        const currency =
          typeof currencyId === 'string' ? this.store.get('transactioncurrencies', currencyId) : undefined;
        row.exchangerate = currency?.exchangerate ?? null;
      }
    }
  }

  private checkAlternateKeys(model: EntityModel, id: string, row: Row): void {
    for (const key of this.store.keysOf(model.def.entitySet)) {
      const value = alternateKeyValue(row, key.attributes);
      if (value === undefined) continue;
      const owner = this.store.findByAlternateKey(model.def.entitySet, key.name, value);
      if (owner !== undefined && owner !== id)
        throw dvErrors.duplicateAlternateKey(key.displayName, key.name);
    }
  }

  /** Entity-specific platform behaviour after a create. */
  private afterCreate(entitySet: string, row: Row, ctx: WriteContext): void {
    // Creating a unit group creates its base unit, named after baseuomname.
    if (entitySet === 'uomschedules' && typeof row.baseuomname === 'string' && row.baseuomname !== '') {
      const scheduleId = row.uomscheduleid as string;
      const uom = this.create(
        'uoms',
        { name: row.baseuomname, quantity: 1, 'uomscheduleid@odata.bind': `/uomschedules(${scheduleId})` },
        ctx,
      );
      this.store.put('uoms', uom.uomid as string, { ...uom, isschedulebaseuom: true });
    }
  }

  /** Validates a request body against the table definition. */
  parseBody(model: EntityModel, body: unknown): BodyChanges {
    const def = model.def;
    const entitySet = def.entitySet;
    if (body === undefined || body === null) return { values: new Map(), lookups: new Map() };
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw dvErrors.payload(entitySet, 'The request body must be a JSON object representing an entity.');
    }
    const values = new Map<string, unknown>();
    const lookups = new Map<string, LookupChange | null>();
    let id: string | undefined;
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (key.endsWith('@odata.bind')) {
        const nav = key.slice(0, -'@odata.bind'.length);
        const entry = model.lookupsByNav.get(nav);
        if (!entry || entry.lookup.readOnly)
          throw dvErrors.unknownPayloadProperty(entitySet, def.logicalName, nav);
        lookups.set(
          entry.lookup.attribute,
          value === null ? null : this.resolveBind(entitySet, nav, entry, value),
        );
        continue;
      }
      // Annotations (`@odata.etag`, `x@OData.Community...`) in a body are ignored, as the real service does.
      if (key.startsWith('@') || key.includes('@')) continue;
      if (key === def.primaryId) {
        if (value === null) continue;
        if (typeof value !== 'string' || !isGuid(value))
          throw dvErrors.badValue(entitySet, value, 'Edm.Guid');
        id = value.toLowerCase();
        continue;
      }
      const nav = model.lookupsByNav.get(key);
      if (nav && !nav.lookup.readOnly) {
        // A single-valued navigation property set to null removes the reference.
        if (value !== null) {
          throw dvErrors.payload(
            entitySet,
            `Deep insert through '${key}' is not supported by the emulator; use '${key}@odata.bind'.`,
          );
        }
        lookups.set(nav.lookup.attribute, null);
        continue;
      }
      const attribute = model.attributes.get(key);
      if (!attribute) throw dvErrors.unknownPayloadProperty(entitySet, def.logicalName, key);
      if (attribute.readOnly) continue;
      values.set(key, this.coerce(model, attribute, value));
    }
    return { values, lookups, id };
  }

  private resolveBind(
    entitySet: string,
    nav: string,
    entry: { lookup: LookupDef; targets: string[] },
    value: unknown,
  ): LookupChange {
    if (typeof value !== 'string') throw dvErrors.badBind(entitySet, value);
    const address = parseEntityAddress(value);
    if (!address) throw dvErrors.badBind(entitySet, value);
    const targetModel = ENTITY_MODELS.get(address.entitySet);
    if (!targetModel) throw dvErrors.resourceNotFound(address.entitySet);
    const logicalName = targetModel.def.logicalName;
    if (!entry.targets.includes(logicalName)) throw dvErrors.bindTypeMismatch(nav, address.entitySet);
    const key = parseKey(address.keyText, logicalName);
    const targetId = this.resolveId(address.entitySet, key);
    if (targetId === undefined) {
      // A bind to a missing row fails like the platform's ObjectDoesNotExist.
      if (key.kind === 'id') throw dvErrors.recordNotFound(logicalName, key.id);
      throw dvErrors.recordNotFoundByKey(logicalName, address.keyText);
    }
    return { id: targetId, logicalName, nav };
  }

  private coerce(model: EntityModel, attribute: AttributeDef, value: unknown): unknown {
    if (value === null) return null;
    const entitySet = model.def.entitySet;
    const logical = model.def.logicalName;
    const bad = (): never => {
      throw dvErrors.badValue(
        entitySet,
        typeof value === 'object' ? JSON.stringify(value) : value,
        EDM_TYPES[attribute.type],
      );
    };
    switch (attribute.type) {
      case 'string':
      case 'memo': {
        if (typeof value !== 'string') bad();
        const text = value as string;
        if (attribute.maxLength !== undefined && text.length > attribute.maxLength) {
          throw dvErrors.maxLength(logical, attribute.name, attribute.maxLength);
        }
        return text;
      }
      case 'integer':
      case 'picklist':
      case 'state':
      case 'status': {
        if (typeof value !== 'number' || !Number.isInteger(value)) bad();
        this.checkRange(logical, attribute, value as number);
        if (attribute.type === 'picklist')
          this.store.optionSets.check(logical, attribute.name, value as number);
        return value;
      }
      case 'decimal':
      case 'money': {
        if (typeof value !== 'number' || !Number.isFinite(value)) bad();
        this.checkRange(logical, attribute, value as number);
        return value;
      }
      case 'boolean':
        if (typeof value !== 'boolean') bad();
        return value;
      case 'datetime': {
        if (typeof value !== 'string') bad();
        const ms = Date.parse(value as string);
        if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value as string)) bad();
        // Date/time columns keep whole seconds.
        return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
      }
      case 'dateonly': {
        if (
          typeof value !== 'string' ||
          !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
          Number.isNaN(Date.parse(value))
        )
          bad();
        return value;
      }
      case 'guid':
        if (typeof value !== 'string' || !isGuid(value)) bad();
        return (value as string).toLowerCase();
    }
  }

  private checkRange(logical: string, attribute: AttributeDef, value: number): void {
    if (
      (attribute.min !== undefined && value < attribute.min) ||
      (attribute.max !== undefined && value > attribute.max)
    ) {
      throw dvErrors.outOfRange(logical, attribute.name, value);
    }
  }
}

/** Entity set of a logical name (for lookup targets). */
export function entitySetOf(logicalName: string): string | undefined {
  return ENTITY_SET_BY_LOGICAL.get(logicalName);
}
