// `npm start` does a dozen things before its status table (servers, emulators, worker, first sync,
// entries, wake-ups), each waiting on a server that may be slow or stuck. A start that seems to hang says
// which step it waits for and for how long, so the person at the terminal knows what to look at (and a
// CI log names the step).

export interface StartupSteps {
  /** The step now waited for (a person's words: "starting the entry CUSTOMER on Temporal"). */
  step(label: string): void;
  /** Startup is over: no more notices. */
  done(): void;
}

/**
 * Calls `notice` with the current step and the seconds it has taken each time the same step has run for
 * another `everyMs` (30 s, 60 s, ... by default).
 */
export function watchStartupSteps(
  notice: (label: string, seconds: number) => void,
  options: { everyMs?: number; now?: () => number } = {},
): StartupSteps {
  const everyMs = options.everyMs ?? 30_000;
  const now = options.now ?? Date.now;
  let current: { label: string; since: number; noticed: number } | undefined;
  const timer = setInterval(
    () => {
      if (!current) return;
      const periods = Math.floor((now() - current.since) / everyMs);
      if (periods > current.noticed) {
        current.noticed = periods;
        notice(current.label, Math.round((now() - current.since) / 1000));
      }
    },
    Math.max(10, Math.min(1000, everyMs / 10)),
  );
  timer.unref();
  return {
    step(label) {
      current = { label, since: now(), noticed: 0 };
    },
    done() {
      current = undefined;
      clearInterval(timer);
    },
  };
}
