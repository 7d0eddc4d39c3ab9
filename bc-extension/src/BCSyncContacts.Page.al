// Contacts (table 5050): API v2.0's contacts plus the fields the CONTACT mapping syncs that API v2.0 lacks
// (names, fax, pager, salesperson, currency, and the customer of the contact's company): docs/bc-custom-api.md.
page 50106 "BCSync Contacts API"
{
    PageType = API;
    APIPublisher = 'bcsync';
    APIGroup = 'integration';
    APIVersion = 'v1.0';
    EntityName = 'contact';
    EntitySetName = 'contacts';
    EntityCaption = 'Contact';
    EntitySetCaption = 'Contacts';
    SourceTable = Contact;
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
                field(type; Rec.Type)
                {
                    Caption = 'Type';
                }
                field(displayName; Rec.Name)
                {
                    Caption = 'Display Name';
                }
                field(companyNumber; Rec."Company No.")
                {
                    Caption = 'Company Number';
                }
                field(companyName; Rec."Company Name")
                {
                    Caption = 'Company Name';
                    Editable = false;
                }
                field(contactBusinessRelation; Rec."Contact Business Relation")
                {
                    Caption = 'Contact Business Relation';
                    Editable = false;
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
                field(mobilePhoneNumber; Rec."Mobile Phone No.")
                {
                    Caption = 'Mobile Phone No.';
                }
                field(email; Rec."E-Mail")
                {
                    Caption = 'Email';
                }
                field(website; Rec."Home Page")
                {
                    Caption = 'Website';
                }
                field(searchName; Rec."Search Name")
                {
                    Caption = 'Search Name';
                }
                field(privacyBlocked; Rec."Privacy Blocked")
                {
                    Caption = 'Privacy Blocked';
                }
                field(taxRegistrationNumber; Rec."VAT Registration No.")
                {
                    Caption = 'Tax Registration No.';
                }
                field(lastInteractionDate; Rec."Date of Last Interaction")
                {
                    Caption = 'Last Interaction Date';
                    Editable = false;
                }
                field(firstName; Rec."First Name")
                {
                    Caption = 'First Name';
                }
                field(middleName; Rec."Middle Name")
                {
                    Caption = 'Middle Name';
                }
                field(surname; Rec.Surname)
                {
                    Caption = 'Surname';
                }
                field(faxNumber; Rec."Fax No.")
                {
                    Caption = 'Fax No.';
                }
                field(pager; Rec.Pager)
                {
                    Caption = 'Pager';
                }
                field(salespersonCode; Rec."Salesperson Code")
                {
                    Caption = 'Salesperson Code';
                }
                field(currencyCode; Rec."Currency Code")
                {
                    Caption = 'Currency Code';
                }
                field(customerId; CustomerId)
                {
                    Caption = 'Customer Id';

                    trigger OnValidate()
                    var
                        Customer: Record Customer;
                        ContactBusinessRelation: Record "Contact Business Relation";
                    begin
                        // A person is placed under the company contact of the customer.
                        if IsNullGuid(CustomerId) then
                            exit;
                        if not Customer.GetBySystemId(CustomerId) then
                            Error(CustomerIdErr);
                        ContactBusinessRelation.SetRange("Link to Table", ContactBusinessRelation."Link to Table"::Customer);
                        ContactBusinessRelation.SetRange("No.", Customer."No.");
                        if not ContactBusinessRelation.FindFirst() then
                            Error(CustomerWithoutContactErr, Customer."No.");
                        if Rec.Type = Rec.Type::Company then
                            Error(CompanyContactErr);
                        Rec.Validate("Company No.", ContactBusinessRelation."Contact No.");
                    end;
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
        Clear(CustomerId);
    end;

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        // The id the body gave, if any (docs/bc-custom-api.md, "Client-chosen ids"); else BC assigns one.
        Rec.Insert(true, not IsNullGuid(Rec.SystemId));
        SetCalculatedFields();
        exit(false);
    end;

    trigger OnModifyRecord(): Boolean
    var
        Contact: Record Contact;
    begin
        Contact.GetBySystemId(Rec.SystemId);
        if Rec."No." = Contact."No." then
            Rec.Modify(true)
        else begin
            Contact.TransferFields(Rec, false);
            Contact.Rename(Rec."No.");
            Rec.TransferFields(Contact);
        end;
        SetCalculatedFields();
        exit(false);
    end;

    var
        ClientId: Codeunit "BCSync Client Id";
        IdOnRead: Guid;
        CustomerId: Guid;
        CustomerIdErr: Label 'The "customerId" does not match to a Customer.', Comment = 'customerId is a field name and should not be translated.';
        CustomerWithoutContactErr: Label 'Customer %1 has no company contact.', Comment = '%1 = customer number';
        CompanyContactErr: Label 'The "customerId" of a company contact follows its business relation; set it on a person.', Comment = 'customerId is a field name and should not be translated.';

    local procedure SetCalculatedFields()
    var
        Customer: Record Customer;
        ContactBusinessRelation: Record "Contact Business Relation";
    begin
        Rec.CalcFields("Date of Last Interaction");
        Clear(CustomerId);
        if Rec."Company No." = '' then
            exit;
        ContactBusinessRelation.SetRange("Contact No.", Rec."Company No.");
        ContactBusinessRelation.SetRange("Link to Table", ContactBusinessRelation."Link to Table"::Customer);
        if ContactBusinessRelation.FindFirst() then
            if Customer.Get(ContactBusinessRelation."No.") then
                CustomerId := Customer.SystemId;
    end;
}
