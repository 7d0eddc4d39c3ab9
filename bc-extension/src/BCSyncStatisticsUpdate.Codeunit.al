// Keeps "BCSync Customer Statistics" in step with the customers' FlowFields (docs/bc-custom-api.md):
// a FlowField change does not touch Customer.SystemModifiedAt, so the rows are refreshed from the events
// that change the figures, and written only when a figure changed. Run it from a job queue entry once a
// day as well (Run = refresh all), so overdue amounts follow invoices crossing their due date.
codeunit 50100 "BCSync Statistics Update"
{
    Permissions = tabledata "BCSync Customer Statistics" = RIMD;

    trigger OnRun()
    begin
        RefreshAll();
    end;

    procedure RefreshAll()
    var
        Customer: Record Customer;
    begin
        if Customer.FindSet() then
            repeat
                Refresh(Customer);
            until Customer.Next() = 0;
    end;

    procedure RefreshCustomer(CustomerNo: Code[20])
    var
        Customer: Record Customer;
    begin
        if CustomerNo = '' then
            exit;
        if Customer.Get(CustomerNo) then
            Refresh(Customer);
    end;

    local procedure Refresh(Customer: Record Customer)
    var
        Statistics: Record "BCSync Customer Statistics";
        Fresh: Record "BCSync Customer Statistics";
        Exists: Boolean;
    begin
        Customer.SetRange("Date Filter", 0D, CalcDate('<-1D>', WorkDate()));
        Customer.CalcFields(
          "Balance (LCY)", "Outstanding Orders (LCY)", "Shipped Not Invoiced (LCY)",
          "Outstanding Invoices (LCY)", "Sales (LCY)", "Balance Due (LCY)");
        Fresh."Customer Id" := Customer.SystemId;
        Fresh."Customer No." := Customer."No.";
        Fresh."Balance (LCY)" := Customer."Balance (LCY)";
        Fresh."Outstanding Orders (LCY)" := Customer."Outstanding Orders (LCY)";
        Fresh."Shipped Not Invoiced (LCY)" := Customer."Shipped Not Invoiced (LCY)";
        Fresh."Outstanding Invoices (LCY)" := Customer."Outstanding Invoices (LCY)";
        Fresh."Sales (LCY)" := Customer."Sales (LCY)";
        Fresh."Overdue Amount (LCY)" := Customer."Balance Due (LCY)";

        Exists := Statistics.Get(Customer.SystemId);
        if not Exists then begin
            Statistics := Fresh;
            // The row's SystemId is the customer's, so the API id of a customer's statistics is the customer id.
            Statistics.SystemId := Customer.SystemId;
            Statistics.Insert(false, true);
            exit;
        end;
        if (Statistics."Customer No." = Fresh."Customer No.") and
           (Statistics."Balance (LCY)" = Fresh."Balance (LCY)") and
           (Statistics."Outstanding Orders (LCY)" = Fresh."Outstanding Orders (LCY)") and
           (Statistics."Shipped Not Invoiced (LCY)" = Fresh."Shipped Not Invoiced (LCY)") and
           (Statistics."Outstanding Invoices (LCY)" = Fresh."Outstanding Invoices (LCY)") and
           (Statistics."Sales (LCY)" = Fresh."Sales (LCY)") and
           (Statistics."Overdue Amount (LCY)" = Fresh."Overdue Amount (LCY)")
        then
            exit;
        Statistics.TransferFields(Fresh, false);
        Statistics.Modify(false);
    end;

    [EventSubscriber(ObjectType::Table, Database::Customer, 'OnAfterInsertEvent', '', false, false)]
    local procedure OnAfterInsertCustomer(var Rec: Record Customer; RunTrigger: Boolean)
    begin
        if Rec.IsTemporary() then
            exit;
        Refresh(Rec);
    end;

    [EventSubscriber(ObjectType::Table, Database::Customer, 'OnAfterRenameEvent', '', false, false)]
    local procedure OnAfterRenameCustomer(var Rec: Record Customer; var xRec: Record Customer; RunTrigger: Boolean)
    begin
        if Rec.IsTemporary() then
            exit;
        Refresh(Rec);
    end;

    [EventSubscriber(ObjectType::Table, Database::Customer, 'OnAfterDeleteEvent', '', false, false)]
    local procedure OnAfterDeleteCustomer(var Rec: Record Customer; RunTrigger: Boolean)
    var
        Statistics: Record "BCSync Customer Statistics";
    begin
        if Rec.IsTemporary() then
            exit;
        if Statistics.Get(Rec.SystemId) then
            Statistics.Delete(false);
    end;

    [EventSubscriber(ObjectType::Table, Database::"Cust. Ledger Entry", 'OnAfterInsertEvent', '', false, false)]
    local procedure OnAfterInsertCustLedgerEntry(var Rec: Record "Cust. Ledger Entry"; RunTrigger: Boolean)
    begin
        if not Rec.IsTemporary() then
            RefreshCustomer(Rec."Customer No.");
    end;

    [EventSubscriber(ObjectType::Table, Database::"Detailed Cust. Ledg. Entry", 'OnAfterInsertEvent', '', false, false)]
    local procedure OnAfterInsertDetailedCustLedgEntry(var Rec: Record "Detailed Cust. Ledg. Entry"; RunTrigger: Boolean)
    begin
        if not Rec.IsTemporary() then
            RefreshCustomer(Rec."Customer No.");
    end;

    [EventSubscriber(ObjectType::Table, Database::"Sales Line", 'OnAfterInsertEvent', '', false, false)]
    local procedure OnAfterInsertSalesLine(var Rec: Record "Sales Line"; RunTrigger: Boolean)
    begin
        if not Rec.IsTemporary() then
            RefreshCustomer(Rec."Bill-to Customer No.");
    end;

    [EventSubscriber(ObjectType::Table, Database::"Sales Line", 'OnAfterModifyEvent', '', false, false)]
    local procedure OnAfterModifySalesLine(var Rec: Record "Sales Line"; var xRec: Record "Sales Line"; RunTrigger: Boolean)
    begin
        if not Rec.IsTemporary() then
            RefreshCustomer(Rec."Bill-to Customer No.");
    end;

    [EventSubscriber(ObjectType::Table, Database::"Sales Line", 'OnAfterDeleteEvent', '', false, false)]
    local procedure OnAfterDeleteSalesLine(var Rec: Record "Sales Line"; RunTrigger: Boolean)
    begin
        if not Rec.IsTemporary() then
            RefreshCustomer(Rec."Bill-to Customer No.");
    end;
}
