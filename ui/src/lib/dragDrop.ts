// Files dropped onto the window come from the webview as paths (not as DOM drag events,
// which never carry a path).
import { getCurrentWebview } from "@tauri-apps/api/webview";

export type FileDrop = { type: "over" } | { type: "drop"; paths: string[] } | { type: "leave" };

/** Reports files dragged over and dropped on this window; returns the unsubscribe. */
export function onFileDrop(handler: (drop: FileDrop) => void): () => void {
  const unlisten = getCurrentWebview().onDragDropEvent(({ payload }) => {
    if (payload.type === "drop") handler({ type: "drop", paths: payload.paths });
    else if (payload.type === "leave") handler({ type: "leave" });
    else handler({ type: "over" });
  });
  return () => void unlisten.then((stop) => stop());
}
