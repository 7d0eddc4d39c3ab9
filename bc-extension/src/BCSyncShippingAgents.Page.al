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
                    Editable = false;
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

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        if Rec.Code = '' then
            Error(CodeRequiredErr);
        Rec.Insert(true);
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
        CodeRequiredErr: Label 'The "code" must be provided.', Comment = 'code is a field name and should not be translated.';
}
