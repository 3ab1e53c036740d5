// Finding text in a log: which lines match, and where in a line to put the highlight.

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The search as a case-insensitive pattern for plain text; null when there is nothing to find. */
export const searchPattern = (query: string): RegExp | null => (query ? new RegExp(escape(query), "i") : null);

/** Indexes of the lines that contain a match. */
export function findMatches(lines: string[], pattern: RegExp): number[] {
  const found: number[] = [];
  for (let i = 0; i < lines.length; i++) if (pattern.test(lines[i])) found.push(i);
  return found;
}

/** A line cut into text and matches, alternating: the odd parts are the matches. */
export function splitMatches(line: string, pattern: RegExp | null): string[] {
  return pattern ? line.split(new RegExp(`(${pattern.source})`, "gi")) : [line];
}
