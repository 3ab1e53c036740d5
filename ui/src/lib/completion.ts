// Code completion in the console. The driver completes the dotted name that ends at the
// cursor (as Python's rlcompleter does: "spark.ra" → "spark.range("), so a chosen completion
// replaces that name.

/** Where the name before the cursor starts, found as the driver finds it; null when there is none. */
export function nameStart(code: string, cursor: number): number | null {
  const match = /[A-Za-z_][\p{L}\p{N}_.]*$/u.exec(code.slice(0, cursor));
  return match ? match.index : null;
}

/** The code with `completion` in place of the name before the cursor, and the cursor after it. */
export function insertCompletion(code: string, cursor: number, completion: string): { code: string; cursor: number } {
  const start = nameStart(code, cursor) ?? cursor;
  return { code: code.slice(0, start) + completion + code.slice(cursor), cursor: start + completion.length };
}

/** The cursor as Python counts it: in code points, where a textarea counts UTF-16 units. */
export const pythonCursor = (code: string, cursor: number) => [...code.slice(0, cursor)].length;
