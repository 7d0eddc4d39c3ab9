// Resources (table 156), for the RESOURCE-PRODUCT mapping: docs/bc-custom-api.md, "resources".
page 50100 "BCSync Resources API"
{
    PageType = API;
    APIPublisher = 'bcsync';
    APIGroup = 'integration';
    APIVersion = 'v1.0';
    EntityName = 'resource';
    EntitySetName = 'resources';
    EntityCaption = 'Resource';
    EntitySetCaption = 'Resources';
    SourceTable = Resource;
    ODataKeyFields = SystemId;
    DelayedInsert = true;
    ChangeTrackingAllowed = true;
    Extensible = false;

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';

                    // Chosen by the client on POST (bcsync's exactly-once creates), never changed by a PATCH.
                    trigger OnValidate()
                    begin
                        ClientId.CheckUnchanged(IdOnRead, Rec.SystemId);
                    end;
                }
                field(number; Rec."No.")
                {
                    Caption = 'No.';
                }
                field(name; Rec.Name)
                {
                    Caption = 'Name';
                }
                field(type; Rec.Type)
                {
                    Caption = 'Type';
                }
                field(baseUnitOfMeasureCode; Rec."Base Unit of Measure")
                {
                    Caption = 'Base Unit of Measure';
                }
                field(unitPrice; Rec."Unit Price")
                {
                    Caption = 'Unit Price';
                }
                field(unitCost; Rec."Unit Cost")
                {
                    Caption = 'Unit Cost';
                }
                field(vendorNumber; Rec."Vendor No.")
                {
                    Caption = 'Vendor No.';
                }
                field(capacity; Rec.Capacity)
                {
                    Caption = 'Capacity';
                    Editable = false;
                }
                field(blocked; Rec.Blocked)
                {
                    Caption = 'Blocked';
                }
                field(lastModifiedDateTime; Rec.SystemModifiedAt)
                {
                    Caption = 'Last Modified Date Time';
                    Editable = false;
                }
            }
        }
    }

    trigger OnAfterGetRecord()
    begin
        IdOnRead := Rec.SystemId;
        // Capacity is a FlowField (sum of Res. Capacity Entry).
        Rec.CalcFields(Capacity);
    end;

    trigger OnNewRecord(BelowxRec: Boolean)
    begin
        // A new record's SystemId is the body's id or, blank, BC's (as API v2.0's pages clear it here too).
        Clear(Rec.SystemId);
        Clear(IdOnRead);
    end;

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        // Blank "No.": the next number of the resource number series, as on the Resource Card.
        // The id the body gave, if any (docs/bc-custom-api.md, "Client-chosen ids"); else BC assigns one.
        Rec.Insert(true, not IsNullGuid(Rec.SystemId));
        exit(false);
    end;

    trigger OnModifyRecord(): Boolean
    var
        Resource: Record Resource;
    begin
        // A changed key is a rename, as in API v2.0's pages.
        Resource.GetBySystemId(Rec.SystemId);
        if Rec."No." = Resource."No." then
            Rec.Modify(true)
        else begin
            Resource.TransferFields(Rec, false);
            Resource.Rename(Rec."No.");
            Rec.TransferFields(Resource);
        end;
        exit(false);
    end;

    var
        ClientId: Codeunit "BCSync Client Id";
        IdOnRead: Guid;
}
