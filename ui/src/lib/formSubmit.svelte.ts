// A form's submit: one send at a time, a local check first, and a refusal (the backend's or
// the check's) shown next to the input it names, or above the form, with the focus taken there.
import { attempt, focusFirstError, placeError, type Answer, type FormError } from "./errors";

export class FormSubmit {
  error = $state<FormError | null>(null);
  busy = $state(false);
  /** The form (bind:this), for the focus to find the message in. */
  element: HTMLElement | undefined = undefined;
  #inline: () => Iterable<string> = () => [];
  /** Where the error shows: `placed.of(field)` next to an input, `placed.top` above the form. */
  placed = $derived(placeError(this.error, new Set(this.#inline())));

  /** `inline`: the fields the form shows an error next to now (they may follow its inputs). */
  constructor(inline: () => Iterable<string>) {
    this.#inline = inline;
  }

  /** Shows a refusal, or clears it with null, and takes the user to it. */
  async show(error: FormError | null) {
    this.error = error;
    if (error && this.element) await focusFirstError(this.element);
  }

  /**
   * Sends unless `check` finds a mistake first, then hands the answer to `done` or shows the
   * refusal. Ignored while a send is under way (a double click, Enter pressed twice).
   */
  async run<T>(send: () => Promise<Answer<T>>, done: (data: T) => void, check?: () => FormError | null) {
    if (this.busy) return;
    const mistake = check?.() ?? null;
    if (mistake) return this.show(mistake);
    this.busy = true;
    const answer = await attempt(send);
    this.busy = false;
    if (answer.status === "error") return this.show(answer.error);
    this.error = null;
    done(answer.data);
  }
}
