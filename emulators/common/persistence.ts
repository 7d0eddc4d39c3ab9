// Optional persistence of emulator state to a folder (emulator contract: persistence.ts): one JSON file per
// emulator, written atomically (temp file + rename) on stop and periodically while state changes, and
// loaded at start, so a local run keeps its CRM/ERP data across restarts.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { writeFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export class SnapshotFile<T> {
  readonly path: string;
  private timer?: NodeJS.Timeout;
  private saving?: Promise<void>;

  constructor(
    readonly dir: string,
    name: string,
  ) {
    this.path = join(dir, `${name}.json`);
  }

  /** The saved state, or undefined when there is none yet. A corrupt file is an error naming the file. */
  load(): T | undefined {
    if (!existsSync(this.path)) return undefined;
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as T;
    } catch (error) {
      throw new Error(
        `Emulator state file ${this.path} cannot be read (${(error as Error).message}); delete it to start from seed data.`,
      );
    }
  }

  async save(state: T): Promise<void> {
    // Serialise saves: a periodic save and the final save on stop must not interleave their renames.
    const previous = this.saving ?? Promise.resolve();
    const next = previous.then(async () => {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(state));
      await rename(tmp, this.path);
    });
    this.saving = next.catch(() => undefined);
    return next;
  }

  saveSync(state: T): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.path);
  }

  /** Saves every `intervalMs` when `isDirty()` says something changed since the last save. */
  startAutoSave(
    snapshot: () => T,
    isDirty: () => boolean,
    markClean: () => void,
    intervalMs = 30_000,
    onError: (error: unknown) => void = () => undefined,
  ): void {
    this.stopAutoSave();
    this.timer = setInterval(() => {
      if (!isDirty()) return;
      markClean();
      this.save(snapshot()).catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  stopAutoSave(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
