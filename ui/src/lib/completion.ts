// Code completion in the console. The driver completes the dotted name that ends at the
// cursor: Python as its rlcompleter does ("spark.ra" → "spark.range("), Scala and SQL with the
// name's last part ("spark.ra" → "range"); a chosen completion replaces what it completes.

/** Where the name before the cursor starts, found as the driver finds it; null when there is none. */
export function nameStart(code: string, cursor: number): number | null {
  const match = /[A-Za-z_][\p{L}\p{N}_.]*$/u.exec(code.slice(0, cursor));
  return match ? match.index : null;
}

/**
 * The code with `completion` in place of the name before the cursor, and the cursor after it.
 * Python answers the whole dotted name ("spark.range("), Scala's REPL and SQL only its last
 * part ("range" for "spark.ran"): such a completion replaces what follows the last dot.
 */
export function insertCompletion(code: string, cursor: number, completion: string): { code: string; cursor: number } {
  const name = nameStart(code, cursor) ?? cursor;
  const dot = code.lastIndexOf(".", cursor - 1);
  const qualifier = dot >= name ? code.slice(name, dot + 1) : "";
  const start = qualifier && !completion.startsWith(qualifier) ? dot + 1 : name;
  return { code: code.slice(0, start) + completion + code.slice(cursor), cursor: start + completion.length };
}

/** The cursor as Python counts it: in code points, where a textarea counts UTF-16 units. */
export const pythonCursor = (code: string, cursor: number) => [...code.slice(0, cursor)].length;
