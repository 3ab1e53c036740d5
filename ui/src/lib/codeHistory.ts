// The console's earlier cells, each with its language, walked with Up and Down as in a shell.
import type { Language } from "./bindings";

export type HistoryEntry = { code: string; language: Language };

export class CodeHistory {
  private entries: HistoryEntry[] = [];
  /** The entry shown; `entries.length` while on the new cell. */
  private at = 0;
  /** The new cell as it was typed, given back when walking past the newest entry. */
  private draft: HistoryEntry | null = null;

  /** Remembers a cell that ran and goes back to a new one. */
  push(entry: HistoryEntry) {
    const last = this.entries.at(-1);
    if (last?.code !== entry.code || last.language !== entry.language) this.entries.push(entry);
    this.at = this.entries.length;
    this.draft = null;
  }

  /** The cell before the one shown (`current`); null at the oldest. */
  back(current: HistoryEntry): HistoryEntry | null {
    if (this.at === 0) return null;
    if (this.at === this.entries.length) this.draft = current;
    return this.entries[--this.at];
  }

  /** The cell after the one shown, then the draft; null on the new cell. */
  forward(): HistoryEntry | null {
    if (this.at >= this.entries.length) return null;
    this.at++;
    return this.at === this.entries.length ? this.draft : this.entries[this.at];
  }
}
