// Key/value rows (Spark properties, tags) and the "k=v;k2=v2" text the backend reads.

export type KeyValueRow = { key: number; name: string; value: string };

let lastKey = 0;
/** Rows need an identity that survives renaming, for keyed lists and element ids. */
export const rowKey = () => ++lastKey;

export function emptyKeyValueRow(): KeyValueRow {
  return { key: rowKey(), name: "", value: "" };
}

export const pairsToRows = (pairs: Record<string, string>): KeyValueRow[] =>
  Object.entries(pairs).map(([name, value]) => ({ key: rowKey(), name, value }));

/** The rows the user filled in; a row left blank is not an entry. */
export const filledRows = (rows: KeyValueRow[]) => rows.filter((row) => row.name.trim() || row.value.trim());

/** "k=v;k2=v2", or undefined when there is nothing to send. */
export function toPairs(rows: KeyValueRow[]): string | undefined {
  const text = filledRows(rows)
    .map((row) => `${row.name.trim()}=${row.value.trim()}`)
    .join(";");
  return text || undefined;
}

/** Parses "k=v;k2=v2" (the tags filter, saved job defaults); null when an entry is not k=v. */
export function parsePairs(text: string): Record<string, string> | null {
  const pairs: Record<string, string> = {};
  for (const entry of text.split(";")) {
    if (!entry.trim()) continue;
    const at = entry.indexOf("=");
    const key = entry.slice(0, at).trim();
    if (at < 0 || !key) return null;
    pairs[key] = entry.slice(at + 1).trim();
  }
  return pairs;
}
