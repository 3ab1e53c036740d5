// A clock for durations that grow while a job runs.

/** The current time, ticking each second while `active()` holds; call during component setup. */
export function useNow(active: () => boolean): { readonly value: number } {
  let now = $state(Date.now());
  $effect(() => {
    if (!active()) return;
    now = Date.now();
    const timer = setInterval(() => (now = Date.now()), 1000);
    return () => clearInterval(timer);
  });
  return {
    get value() {
      return now;
    },
  };
}
