// Fills "BCSync Customer Statistics" for the customers that exist when the extension is installed.
codeunit 50101 "BCSync Install"
{
    Subtype = Install;

    trigger OnInstallAppPerCompany()
    var
        StatisticsUpdate: Codeunit "BCSync Statistics Update";
    begin
        StatisticsUpdate.RefreshAll();
    end;
}
