/** Runs `fn` once, `ms` after the last of a burst of calls (a burst of engine events is one query). */
export function debounce(fn: () => void, ms: number): (() => void) & { cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const call = () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
  return Object.assign(call, { cancel: () => clearTimeout(timer) });
}
