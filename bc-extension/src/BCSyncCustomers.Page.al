// Customers (table 18): the same records, ids, ETags and lastModifiedDateTime as API v2.0's customers, with
// every API v2.0 field plus the fields the CUSTOMER mapping syncs that API v2.0 lacks (contact name, mobile
// and fax numbers, primary contact, shipping agent): docs/bc-custom-api.md. Payment terms and shipment
// method stay API v2.0's paymentTermsId / shipmentMethodId.
page 50105 "BCSync Customers API"
{
    PageType = API;
    APIPublisher = 'bcsync';
    APIGroup = 'integration';
    APIVersion = 'v1.0';
    EntityName = 'customer';
    EntitySetName = 'customers';
    EntityCaption = 'Customer';
    EntitySetCaption = 'Customers';
    SourceTable = Customer;
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
                field(displayName; Rec.Name)
                {
                    Caption = 'Display Name';
                    ShowMandatory = true;
                }
                field(type; Rec."Contact Type")
                {
                    Caption = 'Type';
                }
                field(addressLine1; Rec.Address)
                {
                    Caption = 'Address Line 1';
                }
                field(addressLine2; Rec."Address 2")
                {
                    Caption = 'Address Line 2';
                }
                field(city; Rec.City)
                {
                    Caption = 'City';
                }
                field(state; Rec.County)
                {
                    Caption = 'State';
                }
                field(country; Rec."Country/Region Code")
                {
                    Caption = 'Country/Region Code';
                }
                field(postalCode; Rec."Post Code")
                {
                    Caption = 'Post Code';
                }
                field(phoneNumber; Rec."Phone No.")
                {
                    Caption = 'Phone No.';
                }
                field(email; Rec."E-Mail")
                {
                    Caption = 'Email';
                }
                field(website; Rec."Home Page")
                {
                    Caption = 'Website';
                }
                field(salespersonCode; Rec."Salesperson Code")
                {
                    Caption = 'Salesperson Code';
                }
                field(balanceDue; Rec."Balance Due")
                {
                    Caption = 'Balance Due';
                    Editable = false;
                }
                field(creditLimit; Rec."Credit Limit (LCY)")
                {
                    Caption = 'Credit Limit';
                }
                field(taxLiable; Rec."Tax Liable")
                {
                    Caption = 'Tax Liable';
                }
                field(taxAreaId; Rec."Tax Area ID")
                {
                    Caption = 'Tax Area Id';
                }
                field(taxAreaDisplayName; TaxAreaDisplayName)
                {
                    Caption = 'Tax Area Display Name';
                    Editable = false;
                }
                field(taxRegistrationNumber; Rec."VAT Registration No.")
                {
                    Caption = 'Tax Registration No.';
                }
                field(currencyId; Rec."Currency Id")
                {
                    Caption = 'Currency Id';
                }
                field(currencyCode; CurrencyCodeTxt)
                {
                    Caption = 'Currency Code';

                    trigger OnValidate()
                    begin
                        // The API shows the local currency's code for a blank Currency Code, as API v2.0 does.
                        Rec.Validate("Currency Code",
                          GraphMgtGeneralTools.TranslateCurrencyCodeToNAVCurrencyCode(
                            LCYCurrencyCode, CopyStr(CurrencyCodeTxt, 1, MaxStrLen(LCYCurrencyCode))));
                    end;
                }
                field(paymentTermsId; Rec."Payment Terms Id")
                {
                    Caption = 'Payment Terms Id';
                }
                field(shipmentMethodId; Rec."Shipment Method Id")
                {
                    Caption = 'Shipment Method Id';
                }
                field(paymentMethodId; Rec."Payment Method Id")
                {
                    Caption = 'Payment Method Id';
                }
                field(blocked; Rec.Blocked)
                {
                    Caption = 'Blocked';
                }
                field(contactName; Rec.Contact)
                {
                    Caption = 'Contact';
                }
                field(mobilePhoneNumber; Rec."Mobile Phone No.")
                {
                    Caption = 'Mobile Phone No.';
                }
                field(faxNumber; Rec."Fax No.")
                {
                    Caption = 'Fax No.';
                }
                field(primaryContactId; PrimaryContactId)
                {
                    Caption = 'Primary Contact Id';

                    trigger OnValidate()
                    var
                        Contact: Record Contact;
                    begin
                        if IsNullGuid(PrimaryContactId) then
                            Rec.Validate("Primary Contact No.", '')
                        else begin
                            if not Contact.GetBySystemId(PrimaryContactId) then
                                Error(PrimaryContactIdErr);
                            Rec.Validate("Primary Contact No.", Contact."No.");
                        end;
                    end;
                }
                field(shippingAgentCode; Rec."Shipping Agent Code")
                {
                    Caption = 'Shipping Agent Code';
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
        SetCalculatedFields();
    end;

    trigger OnNewRecord(BelowxRec: Boolean)
    begin
        // A new record's SystemId is the body's id or, blank, BC's (as API v2.0's pages clear it here too).
        Clear(Rec.SystemId);
        Clear(IdOnRead);
        Clear(PrimaryContactId);
        Clear(TaxAreaDisplayName);
        Clear(CurrencyCodeTxt);
    end;

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        if Rec.Name = '' then
            Error(NameRequiredErr);
        // Blank "No.": the next number of the customer number series.
        // The id the body gave, if any (docs/bc-custom-api.md, "Client-chosen ids"); else BC assigns one.
        Rec.Insert(true, not IsNullGuid(Rec.SystemId));
        SetCalculatedFields();
        exit(false);
    end;

    trigger OnModifyRecord(): Boolean
    var
        Customer: Record Customer;
    begin
        Customer.GetBySystemId(Rec.SystemId);
        if Rec."No." = Customer."No." then
            Rec.Modify(true)
        else begin
            Customer.TransferFields(Rec, false);
            Customer.Rename(Rec."No.");
            Rec.TransferFields(Customer);
        end;
        SetCalculatedFields();
        exit(false);
    end;

    var
        ClientId: Codeunit "BCSync Client Id";
        IdOnRead: Guid;
        GraphMgtGeneralTools: Codeunit "Graph Mgt - General Tools";
        PrimaryContactId: Guid;
        TaxAreaDisplayName: Text;
        CurrencyCodeTxt: Text;
        LCYCurrencyCode: Code[10];
        NameRequiredErr: Label 'A "displayName" must be provided.', Comment = 'displayName is a field name and should not be translated.';
        PrimaryContactIdErr: Label 'The "primaryContactId" does not match to a Contact.', Comment = 'primaryContactId is a field name and should not be translated.';

    local procedure SetCalculatedFields()
    var
        Contact: Record Contact;
        TaxAreaBuffer: Record "Tax Area Buffer";
    begin
        Rec.CalcFields("Balance Due");
        CurrencyCodeTxt := GraphMgtGeneralTools.TranslateNAVCurrencyCodeToCurrencyCode(LCYCurrencyCode, Rec."Currency Code");
        TaxAreaDisplayName := TaxAreaBuffer.GetTaxAreaDisplayName(Rec."Tax Area ID");
        Clear(PrimaryContactId);
        if Rec."Primary Contact No." <> '' then
            if Contact.Get(Rec."Primary Contact No.") then
                PrimaryContactId := Contact.SystemId;
    end;
}
