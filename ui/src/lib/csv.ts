// CSV as RFC 4180 writes it: fields separated by commas, records by CRLF; a field holding a
// comma, a double quote, CR or LF is quoted, its quotes doubled. The Rust side's "Save as CSV…"
// (`src-tauri/src/commands/results.rs`) writes the same text from the stored result.

/** A value as one CSV field: null and undefined are empty, objects and arrays their JSON. */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header record, then one record per row; every record ends with CRLF. */
export function toCsv(headers: string[], rows: unknown[][]): string {
  return [headers, ...rows].map((record) => record.map(csvField).join(",") + "\r\n").join("");
}
