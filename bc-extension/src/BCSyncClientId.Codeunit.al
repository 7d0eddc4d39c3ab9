// A record's `id` (SystemId) may be chosen by the client when the record is created, never changed after:
// bcsync creates every record with an id it derives from the source record, so a create retried after a
// crash finds its own earlier record by that id instead of making a second one (docs/bc-custom-api.md,
// "Client-chosen ids"). Business Central lets AL assign SystemId before Record.Insert(RunTrigger,
// InsertWithSystemId) and never change it afterwards (Microsoft Learn, "System Fields", SystemId field).
codeunit 50102 "BCSync Client Id"
{
    /// <summary>Refuses a body whose `id` differs from the id of the record the request addresses.</summary>
    /// <param name="IdOnRead">SystemId of the record as read (blank for a record being created).</param>
    /// <param name="Id">The `id` the request body gives.</param>
    procedure CheckUnchanged(IdOnRead: Guid; Id: Guid)
    begin
        if IsNullGuid(IdOnRead) or (Id = IdOnRead) then
            exit;
        Error(IdChangedErr, Format(IdOnRead, 0, 4), Format(Id, 0, 4));
    end;

    var
        IdChangedErr: Label 'The "id" of a record cannot be changed (it is %1, the request gives %2): an "id" can only be chosen when the record is created.', Comment = '%1 = the record''s id, %2 = the id in the request. id is a field name and should not be translated.';
}
