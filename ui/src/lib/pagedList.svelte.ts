// One page of a backend list, kept current: it asks again when what its query reads changes
// (filters, paging) and when an engine event concerns it. An older answer never replaces a
// newer one, and a page emptied under the user (its last rows went away) moves to the new last.
import { onMount } from "svelte";
import { events, type Direction, type EngineEvent_Serialize, type Page, type PageRequest } from "./bindings";
import { debounce } from "./debounce";
import { describeError, type Answer } from "./errors";

export type Paging = { page: number; size: number; field: string; direction: Direction };

/** The paging as the list queries carry it. */
export const pageRequest = (p: Paging): PageRequest => ({
  page: p.page,
  size: p.size,
  sort: [{ field: p.field, direction: p.direction }],
});

export type PagedListOptions<T> = {
  paging: Paging;
  /** Asks for the page. Null while the filters make no query: nothing is sent. */
  fetch: (paging: Paging) => Promise<Answer<Page<T>>> | null;
  /** The engine events that may change what the page shows. */
  concerns: (event: EngineEvent_Serialize) => boolean;
  /** Events closer together than this are one query (a burst of drivers starting); 0 asks at each. */
  debounceMs?: number;
  /** After each newest page that loaded, for what goes with it (the jobs page's chart). */
  onloaded?: (page: Page<T>) => void;
};

export class PagedList<T> {
  paging = $state<Paging>({ page: 0, size: 25, field: "", direction: "asc" });
  result = $state<Page<T> | null>(null);
  /** Why the page could not be loaded, as a sentence. */
  error = $state<string | null>(null);
  #options: PagedListOptions<T>;
  #latest = 0;

  /** Call while a component initialises: the list follows its query and events until it goes. */
  constructor(options: PagedListOptions<T>) {
    this.#options = options;
    this.paging = options.paging;
    $effect(() => {
      void this.load();
    });
    const ms = options.debounceMs ?? 150;
    const reload = ms ? debounce(() => void this.load(), ms) : Object.assign(() => void this.load(), { cancel() {} });
    onMount(() => {
      const unlisten = events.engineChanged.listen(({ payload }) => {
        if (options.concerns(payload)) reload();
      });
      return () => {
        reload.cancel();
        void unlisten.then((stop) => stop());
      };
    });
  }

  /** Asks for the current page now (also the "Try again" of a failed load). */
  async load() {
    const pending = this.#options.fetch(this.paging);
    if (!pending) return;
    const request = ++this.#latest;
    const answer = await pending;
    if (request !== this.#latest) return; // the query changed meanwhile; a newer answer is coming
    if (answer.status === "error") {
      this.error = describeError(answer.error);
      return;
    }
    this.error = null;
    const page = answer.data;
    if (page.empty && page.page.number > 0) {
      this.paging.page = Math.max(page.totalPages - 1, 0);
      return;
    }
    this.result = page;
    this.#options.onloaded?.(page);
  }

  /** A header clicked: by that field, reversed when it already sorts by it; from the first page. */
  sortBy(field: string) {
    this.paging.direction = field === this.paging.field && this.paging.direction === "asc" ? "desc" : "asc";
    this.paging.field = field;
    this.paging.page = 0;
  }

  /** The filters changed: their first page. */
  restart() {
    this.paging.page = 0;
  }
}
