import type { IpcError_Serialize } from "./bindings";

/**
 * An error as a sentence for places away from any input (form top, dialogs, the page).
 * Backend messages are written to follow a field label, so the field is put in front.
 */
export function describeError(error: Pick<IpcError_Serialize, "message" | "field">): string {
  const text = error.field ? `${error.field} ${error.message}` : error.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
