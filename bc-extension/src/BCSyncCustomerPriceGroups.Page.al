// Customer price groups (table 6), for the CUSTPRCGRP-PRICE mapping: docs/bc-custom-api.md.
page 50101 "BCSync Cust. Price Groups API"
{
    PageType = API;
    APIPublisher = 'bcsync';
    APIGroup = 'integration';
    APIVersion = 'v1.0';
    EntityName = 'customerPriceGroup';
    EntitySetName = 'customerPriceGroups';
    EntityCaption = 'Customer Price Group';
    EntitySetCaption = 'Customer Price Groups';
    SourceTable = "Customer Price Group";
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
                field(code; Rec.Code)
                {
                    Caption = 'Code';
                    ShowMandatory = true;
                }
                field(description; Rec.Description)
                {
                    Caption = 'Description';
                }
                field(currencyCode; CurrencyCode)
                {
                    // Not a table field: the currency of the group's sales prices when they all have the
                    // same one, else the local currency. Its Dataverse price list has this currency.
                    Caption = 'Currency Code';
                    Editable = false;
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
        SetCurrencyCode();
    end;

    trigger OnNewRecord(BelowxRec: Boolean)
    begin
        // A new record's SystemId is the body's id or, blank, BC's (as API v2.0's pages clear it here too).
        Clear(Rec.SystemId);
        Clear(IdOnRead);
    end;

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        if Rec.Code = '' then
            Error(CodeRequiredErr);
        // The id the body gave, if any (docs/bc-custom-api.md, "Client-chosen ids"); else BC assigns one.
        Rec.Insert(true, not IsNullGuid(Rec.SystemId));
        exit(false);
    end;

    trigger OnModifyRecord(): Boolean
    var
        CustomerPriceGroup: Record "Customer Price Group";
    begin
        // A changed key is a rename, as in API v2.0's pages.
        CustomerPriceGroup.GetBySystemId(Rec.SystemId);
        if Rec.Code = CustomerPriceGroup.Code then
            Rec.Modify(true)
        else begin
            CustomerPriceGroup.TransferFields(Rec, false);
            CustomerPriceGroup.Rename(Rec.Code);
            Rec.TransferFields(CustomerPriceGroup);
        end;
        exit(false);
    end;

    var
        ClientId: Codeunit "BCSync Client Id";
        IdOnRead: Guid;
        CurrencyCode: Code[10];
        CodeRequiredErr: Label 'The "code" must be provided.', Comment = 'code is a field name and should not be translated.';

    local procedure SetCurrencyCode()
    var
        SalesPrice: Record "Sales Price";
        GeneralLedgerSetup: Record "General Ledger Setup";
    begin
        CurrencyCode := '';
        SalesPrice.SetRange("Sales Type", SalesPrice."Sales Type"::"Customer Price Group");
        SalesPrice.SetRange("Sales Code", Rec.Code);
        if SalesPrice.FindFirst() then begin
            SalesPrice.SetFilter("Currency Code", '<>%1', SalesPrice."Currency Code");
            if SalesPrice.IsEmpty() then
                CurrencyCode := SalesPrice."Currency Code";
        end;
        if CurrencyCode = '' then begin
            GeneralLedgerSetup.Get();
            CurrencyCode := GeneralLedgerSetup."LCY Code";
        end;
    end;
}
