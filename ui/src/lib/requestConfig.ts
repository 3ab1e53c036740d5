// A job class's config as typed in the execute form: checked here, so a typo is pointed out
// before anything is sent.
import type { Value } from "./bindings";

export type ParsedConfig = { ok: true; value: { [key in string]: Value } } | { ok: false; message: string };

/** The config as a JSON object; an empty box is `{}`. */
export function parseConfig(text: string): ParsedConfig {
  if (!text.trim()) return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${(e as SyntaxError).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, message: 'The config must be a JSON object, such as {"rows": 10}.' };
  }
  return { ok: true, value: value as { [key in string]: Value } };
}
