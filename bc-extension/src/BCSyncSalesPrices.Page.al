// Sales prices (table 7002), for the SALESPRC-PRODPRICE mapping: docs/bc-custom-api.md, "salesPrices".
// Where the new sales pricing experience has retired table 7002, this page has to be rebuilt on
// "Price List Line" (7001) with the same fields; the contract does not change (docs/bc-custom-api.md).
page 50102 "BCSync Sales Prices API"
{
    PageType = API;
    APIPublisher = 'bcsync';
    APIGroup = 'integration';
    APIVersion = 'v1.0';
    EntityName = 'salesPrice';
    EntitySetName = 'salesPrices';
    EntityCaption = 'Sales Price';
    EntitySetCaption = 'Sales Prices';
    SourceTable = "Sales Price";
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
                field(itemNumber; Rec."Item No.")
                {
                    Caption = 'Item No.';
                    ShowMandatory = true;
                }
                field(salesType; Rec."Sales Type")
                {
                    Caption = 'Sales Type';
                }
                field(salesCode; Rec."Sales Code")
                {
                    Caption = 'Sales Code';
                }
                field(currencyCode; Rec."Currency Code")
                {
                    // Blank = local currency (the table value; no LCY code is shown, unlike API v2.0).
                    Caption = 'Currency Code';
                }
                field(startingDate; Rec."Starting Date")
                {
                    Caption = 'Starting Date';
                }
                field(unitOfMeasureCode; Rec."Unit of Measure Code")
                {
                    Caption = 'Unit of Measure Code';
                }
                field(minimumQuantity; Rec."Minimum Quantity")
                {
                    Caption = 'Minimum Quantity';
                }
                field(unitPrice; Rec."Unit Price")
                {
                    Caption = 'Unit Price';
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
    end;

    trigger OnNewRecord(BelowxRec: Boolean)
    begin
        // A new record's SystemId is the body's id or, blank, BC's (as API v2.0's pages clear it here too).
        Clear(Rec.SystemId);
        Clear(IdOnRead);
    end;

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        if Rec."Item No." = '' then
            Error(ItemRequiredErr);
        // The id the body gave, if any (docs/bc-custom-api.md, "Client-chosen ids"); else BC assigns one.
        Rec.Insert(true, not IsNullGuid(Rec.SystemId));
        exit(false);
    end;

    trigger OnModifyRecord(): Boolean
    var
        SalesPrice: Record "Sales Price";
    begin
        // A changed primary-key field is a rename in BC (docs/bc-custom-api.md).
        SalesPrice.GetBySystemId(Rec.SystemId);
        if (Rec."Item No." = SalesPrice."Item No.") and (Rec."Sales Type" = SalesPrice."Sales Type") and
           (Rec."Sales Code" = SalesPrice."Sales Code") and (Rec."Starting Date" = SalesPrice."Starting Date") and
           (Rec."Currency Code" = SalesPrice."Currency Code") and
           (Rec."Unit of Measure Code" = SalesPrice."Unit of Measure Code") and
           (Rec."Minimum Quantity" = SalesPrice."Minimum Quantity")
        then
            Rec.Modify(true)
        else begin
            SalesPrice.TransferFields(Rec, false);
            SalesPrice.Rename(
              Rec."Item No.", Rec."Sales Type", Rec."Sales Code", Rec."Starting Date", Rec."Currency Code",
              Rec."Variant Code", Rec."Unit of Measure Code", Rec."Minimum Quantity");
            Rec.TransferFields(SalesPrice);
        end;
        exit(false);
    end;

    var
        ClientId: Codeunit "BCSync Client Id";
        IdOnRead: Guid;
        ItemRequiredErr: Label 'The "itemNumber" must be provided.', Comment = 'itemNumber is a field name and should not be translated.';
}
