// Name-based GUIDs for seed data of both emulators: the same name gives the same id on every run.
import { createHash } from 'node:crypto';

/** A stable GUID derived from a name, so ids survive restarts and differ per name. */
export function nameBasedGuid(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
