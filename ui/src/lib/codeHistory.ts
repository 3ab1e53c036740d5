// The console's earlier cells, walked with Up and Down as in a shell.
export class CodeHistory {
  private entries: string[] = [];
  /** The entry shown; `entries.length` while on the new cell. */
  private at = 0;
  /** The new cell as it was typed, given back when walking past the newest entry. */
  private draft = "";

  /** Remembers a cell that ran and goes back to a new one. */
  push(code: string) {
    if (this.entries.at(-1) !== code) this.entries.push(code);
    this.at = this.entries.length;
    this.draft = "";
  }

  /** The cell before the one shown (`current`); null at the oldest. */
  back(current: string): string | null {
    if (this.at === 0) return null;
    if (this.at === this.entries.length) this.draft = current;
    return this.entries[--this.at];
  }

  /** The cell after the one shown, then the draft; null on the new cell. */
  forward(): string | null {
    if (this.at >= this.entries.length) return null;
    this.at++;
    return this.at === this.entries.length ? this.draft : this.entries[this.at];
  }
}
