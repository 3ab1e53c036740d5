import type { IpcError_Serialize } from "./bindings";

/** A refusal as forms show it: the message, next to the input `field` names (or on top). */
export type FormError = Pick<IpcError_Serialize, "message" | "field">;

/**
 * An error as a sentence for places away from any input (form top, dialogs, the page).
 * Backend messages are written to follow a field label, so the field is put in front.
 */
export function describeError(error: FormError): string {
  const text = error.field ? `${error.field} ${error.message}` : error.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
