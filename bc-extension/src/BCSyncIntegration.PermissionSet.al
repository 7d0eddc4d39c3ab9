// What the integration user (the Entra application bcsync signs in as) needs: the bcsync pages and what
// they read and write, and the standard API v2.0 tables the default mappings use. Assign it together with
// D365 BASIC (or the app's own minimal set) to the Microsoft Entra application in BC.
permissionset 50100 "BCSYNC INTEGRATION"
{
    Assignable = true;
    Caption = 'bcsync integration';

    Permissions =
        page "BCSync Resources API" = X,
        page "BCSync Cust. Price Groups API" = X,
        page "BCSync Sales Prices API" = X,
        page "BCSync Shipping Agents API" = X,
        page "BCSync Customer Statistics API" = X,
        page "BCSync Customers API" = X,
        page "BCSync Contacts API" = X,
        page "BCSync Items API" = X,
        codeunit "BCSync Statistics Update" = X,
        codeunit "BCSync Client Id" = X,
        table "BCSync Customer Statistics" = X,
        tabledata "BCSync Customer Statistics" = R,
        tabledata Resource = RIMD,
        tabledata "Customer Price Group" = RIMD,
        tabledata "Sales Price" = RIMD,
        tabledata "Shipping Agent" = RIMD,
        tabledata Customer = RIMD,
        tabledata Contact = RIMD,
        tabledata "Contact Business Relation" = RIMD,
        tabledata Item = RIMD,
        tabledata "Payment Terms" = RIMD,
        tabledata "Shipment Method" = RIMD,
        tabledata Currency = RIMD,
        tabledata "Currency Exchange Rate" = R,
        tabledata "General Ledger Setup" = R,
        tabledata "Unit of Measure" = RIMD,
        tabledata "Salesperson/Purchaser" = RIMD,
        tabledata "Sales Invoice Header" = R,
        tabledata "Sales Invoice Line" = R,
        tabledata "Sales Invoice Entity Aggregate" = R,
        tabledata "Sales Invoice Line Aggregate" = R,
        tabledata "Cust. Ledger Entry" = R,
        tabledata "Detailed Cust. Ledg. Entry" = R,
        tabledata "Sales Line" = R,
        tabledata "Res. Capacity Entry" = R,
        tabledata "API Webhook Subscription" = RIMD,
        tabledata "API Webhook Notification" = RIMD;
}
