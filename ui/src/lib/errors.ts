import { tick } from "svelte";
import type { IpcError_Serialize } from "./bindings";

/** A refusal as forms show it: the message, next to the input `field` names (or on top). */
export type FormError = Pick<IpcError_Serialize, "message" | "field">;

/** What a command answers. */
export type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: FormError };

/** The command's answer, with a throw (the IPC itself failing) as a refusal of the whole form. */
export async function attempt<T>(send: () => Promise<Answer<T>>): Promise<Answer<T>> {
  try {
    return await send();
  } catch (e) {
    return { status: "error", error: { field: null, message: String(e) } };
  }
}

/**
 * An error as a sentence for places away from any input (form top, dialogs, the page).
 * Backend messages are written to follow a field label, so the field is put in front.
 */
export function describeError(error: FormError): string {
  const text = error.field ? `${error.field} ${error.message}` : error.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Where a form shows a refusal: `of(field)` is the message next to that input when the form
 * has it (`inline`), `top` the sentence above the form otherwise.
 */
export function placeError(error: FormError | null, inline: Set<string>) {
  return {
    top: error && !(error.field && inline.has(error.field)) ? describeError(error) : null,
    of: (field: string) => (error?.field === field ? error.message : undefined),
  };
}

/** Takes the user to what needs fixing, once shown; the control's description reads out the message. */
export async function focusFirstError(form: HTMLElement) {
  await tick();
  form.querySelector<HTMLElement>("[aria-invalid='true'], .field-error[tabindex], .form-error")?.focus();
}
