// Files a second start of the app handed to this one (a script dropped on the launcher
// icon; see src-tauri's single_instance.rs): the Jobs page takes them as it takes a drop.
import { events } from "./bindings";

/** The files waiting for the Jobs page, which empties this as it takes them. */
export const openedFiles = $state<{ paths: string[] | null }>({ paths: null });

/** Switches to the Jobs page with the files each second start brings; returns the unsubscribe. */
export function followOpenedFiles(): () => void {
  const unlisten = events.filesOpened.listen(({ payload }) => {
    openedFiles.paths = payload;
    location.hash = "#/jobs";
  });
  return () => void unlisten.then((stop) => stop());
}
