// Read-only statistics per customer, id = the customer's SystemId (docs/bc-custom-api.md,
// "customerStatistics"). POST, PATCH and DELETE are refused by the platform (405).
page 50104 "BCSync Customer Statistics API"
{
    PageType = API;
    APIPublisher = 'bcsync';
    APIGroup = 'integration';
    APIVersion = 'v1.0';
    EntityName = 'customerStatistic';
    EntitySetName = 'customerStatistics';
    EntityCaption = 'Customer Statistic';
    EntitySetCaption = 'Customer Statistics';
    SourceTable = "BCSync Customer Statistics";
    ODataKeyFields = SystemId;
    DelayedInsert = true;
    InsertAllowed = false;
    ModifyAllowed = false;
    DeleteAllowed = false;
    Editable = false;
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
                field(customerId; Rec."Customer Id")
                {
                    Caption = 'Customer Id';
                    Editable = false;
                }
                field(customerNumber; Rec."Customer No.")
                {
                    Caption = 'Customer No.';
                    Editable = false;
                }
                field(balance; Rec."Balance (LCY)")
                {
                    Caption = 'Balance (LCY)';
                    Editable = false;
                }
                field(outstandingOrders; Rec."Outstanding Orders (LCY)")
                {
                    Caption = 'Outstanding Orders (LCY)';
                    Editable = false;
                }
                field(shippedNotInvoiced; Rec."Shipped Not Invoiced (LCY)")
                {
                    Caption = 'Shipped Not Invoiced (LCY)';
                    Editable = false;
                }
                field(outstandingInvoices; Rec."Outstanding Invoices (LCY)")
                {
                    Caption = 'Outstanding Invoices (LCY)';
                    Editable = false;
                }
                field(totalSales; Rec."Sales (LCY)")
                {
                    Caption = 'Sales (LCY)';
                    Editable = false;
                }
                field(overdueAmount; Rec."Overdue Amount (LCY)")
                {
                    Caption = 'Overdue Amount (LCY)';
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
}
