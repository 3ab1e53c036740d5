import { tick } from "svelte";
import type { ErrorCode, IpcError_Serialize } from "./bindings";

/**
 * A refusal as forms show it: the message, next to the input `field` names (or on top). The
 * backend's carry a `code`; the form's own checks have none (they are about the input).
 */
export type FormError = Pick<IpcError_Serialize, "message" | "field"> & { code?: ErrorCode };

/** What a command answers. */
export type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: FormError };

/** The command's answer, with a throw (the IPC itself failing) as a refusal of the whole form. */
export async function attempt<T>(send: () => Promise<Answer<T>>): Promise<Answer<T>> {
  try {
    return await send();
  } catch (e) {
    return { status: "error", error: { code: "internal", field: null, message: String(e) } };
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
  // Nothing the user typed is wrong when Spark is missing or Sparkdeck failed: never a field's.
  const fieldError = error && !isNotice(error) && error.field ? error : null;
  return {
    top: error && !(fieldError?.field && inline.has(fieldError.field)) ? describeError(error) : null,
    of: (field: string) => (fieldError?.field === field ? fieldError.message : undefined),
  };
}

/** Errors that are not about the input: shown as a notice of their own (ErrorNotice). */
export const isNotice = (error: FormError) => error.code === "unavailable" || error.code === "internal";

/**
 * What an `unavailable` error is about, as a notice's title, read from the backend's message
 * (the code alone does not say what is missing). `settings`: the Settings page shows the
 * Java and Spark found, so the notice points there.
 */
export function unavailableTitle(message: string): { title: string; settings: boolean } {
  // Storage and cluster first: their messages carry URLs and bucket names that may say "spark".
  if (/cannot upload/i.test(message)) return { title: "The cluster's storage cannot be reached", settings: false };
  if (/refused the credentials|access denied/i.test(message)) return { title: "The cluster refused access", settings: false };
  if (/api server|tls handshake|namespace|\bpod\b|cannot reach/i.test(message))
    return { title: "The cluster cannot be reached", settings: false };
  if (/driver agent/i.test(message)) return { title: "The driver agent is not available", settings: false };
  if (/\bjava\b|\bjdk\b|JAVA_HOME/i.test(message)) return { title: "Java is not available on this machine", settings: true };
  if (/spark/i.test(message)) return { title: "Spark is not available on this machine", settings: true };
  return { title: "Not available", settings: false };
}

/** Takes the user to what needs fixing, once shown; the control's description reads out the message. */
export async function focusFirstError(form: HTMLElement) {
  await tick();
  form.querySelector<HTMLElement>("[aria-invalid='true'], .field-error[tabindex], .form-error")?.focus();
}
