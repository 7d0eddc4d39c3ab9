// One row per customer with the figures of the Customer Statistics job (docs/bc-custom-api.md,
// "customerStatistics"). A real table, not FlowFields read per request: a row is written only when a
// figure changes, so SystemModifiedAt is a usable watermark and BC can send webhook notifications for
// the page (no webhooks for temporary source tables).
table 50100 "BCSync Customer Statistics"
{
    Caption = 'bcsync Customer Statistics';
    DataClassification = CustomerContent;

    fields
    {
        field(1; "Customer Id"; Guid)
        {
            Caption = 'Customer Id';
        }
        field(2; "Customer No."; Code[20])
        {
            Caption = 'Customer No.';
        }
        field(3; "Balance (LCY)"; Decimal)
        {
            Caption = 'Balance (LCY)';
            AutoFormatType = 1;
        }
        field(4; "Outstanding Orders (LCY)"; Decimal)
        {
            Caption = 'Outstanding Orders (LCY)';
            AutoFormatType = 1;
        }
        field(5; "Shipped Not Invoiced (LCY)"; Decimal)
        {
            Caption = 'Shipped Not Invoiced (LCY)';
            AutoFormatType = 1;
        }
        field(6; "Outstanding Invoices (LCY)"; Decimal)
        {
            Caption = 'Outstanding Invoices (LCY)';
            AutoFormatType = 1;
        }
        field(7; "Sales (LCY)"; Decimal)
        {
            Caption = 'Sales (LCY)';
            AutoFormatType = 1;
        }
        field(8; "Overdue Amount (LCY)"; Decimal)
        {
            Caption = 'Overdue Amount (LCY)';
            AutoFormatType = 1;
        }
    }

    keys
    {
        key(PK; "Customer Id")
        {
            Clustered = true;
        }
        key(CustomerNo; "Customer No.")
        {
        }
    }
}
