// "Save as CSV…" of a result table: the native save dialog, then the backend writes the
// result as the engine stored it (the UI sends which result and where, never the rows).
import { commands, type JobInstance_Serialize } from "./bindings";
import { describeError } from "./errors";

/** What to tell the user: where it was saved, why not, or nothing when the dialog was cancelled. */
export async function saveResultCsv(instance: JobInstance_Serialize): Promise<string> {
  const picked = await commands.pickSaveFile("Save the result as CSV", "result.csv", ["csv"]);
  if (picked.status === "error") return `Could not save: ${describeError(picked.error)}`;
  if (!picked.data) return "";
  const saved = await commands.saveResultCsv(instance.groupId, instance.jobInstanceId, picked.data);
  if (saved.status === "error") return `Could not save: ${describeError(saved.error)}`;
  return `Saved ${saved.data.rows} ${saved.data.rows === 1 ? "row" : "rows"} to ${saved.data.path}.`;
}
