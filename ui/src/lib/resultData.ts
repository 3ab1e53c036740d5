// What a cell gave back besides its text: the agent's MIME bundle (`JobInstance.data`). SQL
// results and DataFrames are Livy's `application/json` `{schema, data, truncated}`, Python's
// `%table` is Livy's table type, `%matplot` a base64 PNG.

export const SQL_TABLE = "application/json";
export const LIVY_TABLE = "application/vnd.livy.table.v1+json";
export const PNG = "image/png";

/** A result table whatever its MIME type: named columns with their Spark types, and rows. */
export type ResultTable = { columns: { name: string; type: string }[]; rows: unknown[][]; truncated: boolean };

/** The most rows the agent sends; `truncated` says there were more. */
export const MAX_RESULT_ROWS = 1000;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A Spark type as the header shows it: `long`, `decimal(10,2)`, or the kind of a nested type. */
function typeName(type: unknown): string {
  if (typeof type === "string") return type;
  if (isObject(type) && typeof type.type === "string") return type.type;
  return "";
}

const rowsOf = (data: unknown) => (Array.isArray(data) ? data.filter(Array.isArray) : []);

/** The table in a bundle, or null when it holds none (or one this UI cannot read). */
export function tableOf(data: Record<string, unknown> | null | undefined): ResultTable | null {
  if (!data) return null;
  const sql = data[SQL_TABLE];
  if (isObject(sql) && isObject(sql.schema) && Array.isArray(sql.schema.fields)) {
    const columns = sql.schema.fields.filter(isObject).map((f) => ({ name: String(f.name ?? ""), type: typeName(f.type) }));
    return { columns, rows: rowsOf(sql.data), truncated: sql.truncated === true };
  }
  const livy = data[LIVY_TABLE];
  if (isObject(livy) && Array.isArray(livy.headers)) {
    const columns = livy.headers.filter(isObject).map((h) => ({ name: String(h.name ?? ""), type: typeName(h.type) }));
    return { columns, rows: rowsOf(livy.data), truncated: false };
  }
  return null;
}

/** The `%json` value when the bundle's `application/json` is not a table. */
export function jsonOf(data: Record<string, unknown> | null | undefined): unknown {
  if (!data || !(SQL_TABLE in data) || tableOf(data)) return undefined;
  return data[SQL_TABLE];
}

/** The `%matplot` image as a data URL, or null. */
export function imageOf(data: Record<string, unknown> | null | undefined): string | null {
  const png = data?.[PNG];
  return typeof png === "string" && png ? `data:image/png;base64,${png.replace(/\s/g, "")}` : null;
}

const NUMERIC = /^(byte|short|integer|int|long|bigint|float|double|decimal.*|tinyint|smallint)$/i;

/** A Spark type whose values are numbers (shown right-aligned, sorted as numbers). */
export const isNumericType = (type: string) => NUMERIC.test(type);

/** A value as a number when it is one (Spark writes decimals and big longs as strings). */
function asNumber(value: unknown, numericColumn: boolean): number | null {
  if (typeof value === "number") return value;
  if (numericColumn && typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return null;
}

/** The text a cell shows (and a string sort compares): null as "null", nested values as JSON. */
export const cellText = (value: unknown) =>
  value === null || value === undefined ? "null" : typeof value === "object" ? JSON.stringify(value) : String(value);

/**
 * The rows sorted by one column: numbers as numbers, the rest as text in the user's locale;
 * nulls last in both directions. Stable, and the input is not changed.
 */
export function sortRows(table: ResultTable, column: number, direction: "asc" | "desc"): unknown[][] {
  const numericColumn = isNumericType(table.columns[column]?.type ?? "");
  const sign = direction === "asc" ? 1 : -1;
  const compare = (a: unknown, b: unknown) => {
    const missingA = a === null || a === undefined;
    const missingB = b === null || b === undefined;
    if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
    const [x, y] = [asNumber(a, numericColumn), asNumber(b, numericColumn)];
    if (x !== null && y !== null) return sign * (x - y);
    return sign * cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
  };
  return table.rows.map((row, i) => ({ row, i })).sort((p, q) => compare(p.row[column], q.row[column]) || p.i - q.i).map((p) => p.row);
}
