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

/**
 * Rows from "k=v;k2=v2" text the backend stored (the saved job defaults), each entry as
 * written: split at its first "=", judged by nobody here. The backend checks the rows again
 * when they are sent, and names the field of anything wrong.
 */
export const storedPairsToRows = (text: string): KeyValueRow[] =>
  text
    .split(";")
    .filter((entry) => entry.trim())
    .map((entry) => {
      const at = entry.includes("=") ? entry.indexOf("=") : entry.length;
      return { key: rowKey(), name: entry.slice(0, at).trim(), value: entry.slice(at + 1).trim() };
    });

/** The rows as the map a list query takes (tags filters); rows left blank are not entries. */
export const rowsToMap = (rows: KeyValueRow[]): Record<string, string> =>
  Object.fromEntries(filledRows(rows).map((row) => [row.name.trim(), row.value.trim()]));

/** A filled row without a key cannot be an entry: the list pages explain it instead of querying. */
export const keylessRow = (rows: KeyValueRow[]) => filledRows(rows).some((row) => !row.name.trim());
