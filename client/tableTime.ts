// Times in the tables a person reads: the time alone when it is today, date and time otherwise, so a run
// tomorrow at 01:47 does not read as one an hour ago. UTC, like every time bcsync prints.
export function tableTime(value: string | Date | null | undefined, now: Date = new Date()): string {
  if (value === null || value === undefined) return '';
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString();
  const sameDay = iso.slice(0, 10) === now.toISOString().slice(0, 10);
  return sameDay ? iso.slice(11, 19) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
