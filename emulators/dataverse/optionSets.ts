// Choice (option set) columns: their options, what a write may put in them, and the two metadata
// operations bcsync uses on them - reading a column's options and InsertOptionValue - as the Web API
// documents them:
// - "Query schema definitions" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api):
//   `GET EntityDefinitions(LogicalName='account')/Attributes(LogicalName='paymenttermscode')/
//   Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)`;
//   the `OptionSet` navigation exists only on the PicklistAttributeMetadata cast.
// - InsertOptionValue action (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/insertoptionvalue):
//   unbound; `EntityLogicalName` + `AttributeLogicalName` for a local option set (`OptionSetName` for a
//   global one), `Label` required, `Value` optional - without it the system assigns one with the
//   publisher's option value prefix (10000 for the organisation's default publisher, so 100000000, ...);
//   answers `InsertOptionValueResponse { NewOptionValue }`.
// - A write of a value the column's option set does not have fails: "A validation error occurred. The
//   value 9 of 'paymenttermscode' on record of type 'account' is outside the valid range."
import { randomUUID } from 'node:crypto';
import { DataverseApiError, dvErrors } from './errors';
import { ENTITY_DEFS, type OptionDef } from './schema';

/** The organisation's default publisher's CustomizationOptionValuePrefix (Solution publisher docs). */
export const DEFAULT_OPTION_VALUE_PREFIX = 10_000;
const LANGUAGE = 1033;

const key = (entity: string, attribute: string) => `${entity}.${attribute}`;

export interface OptionSetsSnapshot {
  [column: string]: OptionDef[];
}

/** The option sets of every choice column that declares its options; mutable through InsertOptionValue. */
export class OptionSets {
  private readonly sets = new Map<string, OptionDef[]>();
  private readonly metadataIds = new Map<string, string>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.sets.clear();
    for (const def of ENTITY_DEFS) {
      for (const a of def.attributes) {
        if (a.type === 'picklist' && a.options) this.sets.set(key(def.logicalName, a.name), [...a.options]);
      }
    }
  }

  options(entity: string, attribute: string): readonly OptionDef[] | undefined {
    return this.sets.get(key(entity, attribute));
  }

  /** Write-time check of a picklist value (columns without declared options accept any integer). */
  check(entity: string, attribute: string, value: number): void {
    const options = this.sets.get(key(entity, attribute));
    if (options && !options.some((o) => o.value === value))
      throw dvErrors.outOfRange(entity, attribute, value);
  }

  snapshot(): OptionSetsSnapshot {
    return Object.fromEntries(this.sets);
  }

  restore(saved: OptionSetsSnapshot | undefined): void {
    this.reset();
    for (const [column, options] of Object.entries(saved ?? {})) {
      if (this.sets.has(column)) this.sets.set(column, options);
    }
  }

  private metadataId(name: string): string {
    let id = this.metadataIds.get(name);
    if (!id) {
      id = randomUUID();
      this.metadataIds.set(name, id);
    }
    return id;
  }

  /** `EntityDefinitions(LogicalName='x')/Attributes(LogicalName='y')[/cast]` with its query options. */
  attributeMetadata(
    entity: string,
    attribute: string,
    cast: string | undefined,
    query: URLSearchParams,
    serviceRoot: string,
  ): Record<string, unknown> {
    const def = ENTITY_DEFS.find((d) => d.logicalName === entity);
    if (!def) {
      throw new DataverseApiError(404, '0x80040217', `Could not find an entity with name ${entity}.`);
    }
    const attr = def.attributes.find((a) => a.name === attribute);
    if (!attr) {
      throw new DataverseApiError(
        404,
        '0x80040217',
        `Could not find an attribute with specified name: ${attribute} on entity ${entity}.`,
      );
    }
    if (cast !== undefined && cast !== 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata') {
      throw dvErrors.resourceNotFound(cast);
    }
    if (cast !== undefined && attr.type !== 'picklist') {
      // A type cast to a type the attribute is not: the OData path is not found.
      throw dvErrors.resourceNotFound(cast);
    }
    const expand = query.get('$expand') ?? '';
    const wantsOptionSet = /(^|,)\s*OptionSet\b/.test(expand);
    if (wantsOptionSet && cast === undefined) {
      throw dvErrors.querySyntax(
        "Could not find a property named 'OptionSet' on type 'Microsoft.Dynamics.CRM.AttributeMetadata'.",
      );
    }
    const body: Record<string, unknown> = {
      '@odata.context': `${serviceRoot}/$metadata#EntityDefinitions('${entity}')/Attributes/${cast ?? 'Microsoft.Dynamics.CRM.AttributeMetadata'}/$entity`,
      LogicalName: attribute,
      MetadataId: this.metadataId(key(entity, attribute)),
    };
    if (wantsOptionSet) {
      const options = this.sets.get(key(entity, attribute)) ?? [];
      body.OptionSet = {
        MetadataId: this.metadataId(`${key(entity, attribute)}#optionset`),
        Name: `${entity}_${attribute}`,
        IsGlobal: false,
        OptionSetType: 'Picklist',
        Options: options.map((o) => ({
          Value: o.value,
          Color: null,
          IsManaged: o.value < DEFAULT_OPTION_VALUE_PREFIX * 10_000,
          ExternalValue: null,
          ParentValues: [],
          Label: label(o.label),
          Description: label(''),
        })),
      };
    }
    return body;
  }

  /** The InsertOptionValue action: adds an option to a local option set, returns its value. */
  insertOptionValue(body: unknown): number {
    const b = (body ?? {}) as Record<string, unknown>;
    if (b.OptionSetName !== undefined && b.OptionSetName !== null) {
      // No global option sets are modelled; the account/contact columns bcsync maps use local ones.
      throw new DataverseApiError(
        404,
        '0x80040217',
        `Could not find optionset with name ${String(b.OptionSetName)}.`,
      );
    }
    const entity = typeof b.EntityLogicalName === 'string' ? b.EntityLogicalName : undefined;
    const attribute = typeof b.AttributeLogicalName === 'string' ? b.AttributeLogicalName : undefined;
    if (!entity || !attribute) {
      throw dvErrors.badRequest(
        'InsertOptionValue needs either OptionSetName (a global option set) or EntityLogicalName and AttributeLogicalName (a local one).',
      );
    }
    const options = this.sets.get(key(entity, attribute));
    if (!options) {
      const def = ENTITY_DEFS.find((d) => d.logicalName === entity);
      const attr = def?.attributes.find((a) => a.name === attribute);
      if (!def || !attr) {
        throw new DataverseApiError(
          404,
          '0x80040217',
          `Could not find an attribute with specified name: ${attribute} on entity ${entity}.`,
        );
      }
      throw dvErrors.badRequest(
        `The attribute ${entity}.${attribute} is not a picklist with a local option set.`,
      );
    }
    const text = labelText(b.Label);
    if (text === undefined) {
      throw dvErrors.badRequest(
        'Label is required: a Label with at least one LocalizedLabel { Label, LanguageCode }.',
      );
    }
    let value: number;
    if (b.Value !== undefined && b.Value !== null) {
      if (typeof b.Value !== 'number' || !Number.isInteger(b.Value)) {
        throw dvErrors.badRequest(`Value must be an Edm.Int32, got ${JSON.stringify(b.Value)}.`);
      }
      if (options.some((o) => o.value === b.Value)) {
        throw new DataverseApiError(
          400,
          '0x80047011',
          `An option with the value ${b.Value} already exists in the option set of ${entity}.${attribute}.`,
        );
      }
      value = b.Value;
    } else {
      const base = DEFAULT_OPTION_VALUE_PREFIX * 10_000;
      const used = options.filter((o) => o.value >= base).map((o) => o.value);
      value = used.length ? Math.max(...used) + 1 : base;
    }
    options.push({ value, label: text });
    return value;
  }
}

function label(text: string) {
  const localized = {
    Label: text,
    LanguageCode: LANGUAGE,
    IsManaged: false,
    MetadataId: null,
    HasChanged: null,
  };
  return { LocalizedLabels: text ? [localized] : [], UserLocalizedLabel: text ? localized : null };
}

function labelText(value: unknown): string | undefined {
  const labels = (value as { LocalizedLabels?: unknown } | undefined)?.LocalizedLabels;
  if (!Array.isArray(labels) || labels.length === 0) return undefined;
  const first = labels.find((l) => (l as { LanguageCode?: unknown }).LanguageCode === LANGUAGE) ?? labels[0];
  const text = (first as { Label?: unknown }).Label;
  return typeof text === 'string' && text.trim() !== '' ? text : undefined;
}
