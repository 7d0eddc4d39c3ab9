// Shipping agents (table 291), for the SHIPPING AGENT option mapping: API v2.0 has no shipping agents.
// docs/bc-custom-api.md, "shippingAgents".
page 50103 "BCSync Shipping Agents API"
{
    PageType = API;
    APIPublisher = 'bcsync';
    APIGroup = 'integration';
    APIVersion = 'v1.0';
    EntityName = 'shippingAgent';
    EntitySetName = 'shippingAgents';
    EntityCaption = 'Shipping Agent';
    EntitySetCaption = 'Shipping Agents';
    SourceTable = "Shipping Agent";
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
                field(name; Rec.Name)
                {
                    Caption = 'Name';
                }
                field(internetAddress; Rec."Internet Address")
                {
                    Caption = 'Internet Address';
                }
                field(accountNumber; Rec."Account No.")
                {
                    Caption = 'Account No.';
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
        if Rec.Code = '' then
            Error(CodeRequiredErr);
        // The id the body gave, if any (docs/bc-custom-api.md, "Client-chosen ids"); else BC assigns one.
        Rec.Insert(true, not IsNullGuid(Rec.SystemId));
        exit(false);
    end;

    trigger OnModifyRecord(): Boolean
    var
        ShippingAgent: Record "Shipping Agent";
    begin
        ShippingAgent.GetBySystemId(Rec.SystemId);
        if Rec.Code = ShippingAgent.Code then
            Rec.Modify(true)
        else begin
            ShippingAgent.TransferFields(Rec, false);
            ShippingAgent.Rename(Rec.Code);
            Rec.TransferFields(ShippingAgent);
        end;
        exit(false);
    end;

    var
        ClientId: Codeunit "BCSync Client Id";
        IdOnRead: Guid;
        CodeRequiredErr: Label 'The "code" must be provided.', Comment = 'code is a field name and should not be translated.';
}
