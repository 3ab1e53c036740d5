// How groups and their requests are shown: kinds, states, drivers and request summaries.
import { GROUP_STATES as ENGINE_GROUP_STATES } from "./bindings";
import type { Group_Serialize, GroupKind, GroupState, JobInstance_Serialize, JobState, RequestType } from "./bindings";
import { codeLanguageLabel } from "./codeLanguages";
import { isEnded, languageLabel } from "./jobs";

/** The most drivers a group may keep: the engine's limit, through the bindings. */
export { MAX_SCALE } from "./bindings";

export const GROUP_KINDS: { value: GroupKind; label: string; hint: string }[] = [
  { value: "JOB", label: "Job classes", hint: "Run classes from your files with a JSON config" },
  { value: "CODE", label: "Code", hint: "A Scala, Python and SQL console on Spark, with completion" },
];

export const GROUP_STATES: readonly GroupState[] = ENGINE_GROUP_STATES;

export const kindLabel = (kind: GroupKind) => (kind === "JOB" ? "Job classes" : "Code");

/** A session a Livy client made through `/livy` (the Livy layer tags its groups so). */
export const isLivySession = (group: Group_Serialize) => group.tags.livy === "session";

export const LIVY_SESSION_TIP =
  "A Livy session: a client of the Livy API (sparkmagic, pylivy, Airflow) made it and runs its statements here. Deleting the session there stops and deletes this group.";

/** A code group's language is an interpreter (Scala, not "JVM"); job classes are Python or JVM. */
export const groupLanguageLabel = (group: Group_Serialize) =>
  group.kind === "CODE" ? codeLanguageLabel(group.language) : languageLabel(group.language);

export const groupStateLabel = (state: GroupState) => (state === "ACTIVE" ? "Active" : "Archived");

/** A driver that takes requests: idle (READY) or answering one (BUSY). */
const UP: JobState[] = ["READY", "BUSY"];

export const upDrivers = (group: Group_Serialize) => group.jobs.filter((job) => UP.includes(job.state)).length;

/** "2/2 ready": drivers taking requests out of those the group keeps. */
export const driversText = (group: Group_Serialize) => `${upDrivers(group)}/${group.scale} ready`;

export const REQUEST_LABELS: Record<RequestType, string> = {
  interactive_job_execute: "Job",
  interactive_code_execute: "Code",
  interactive_code_complete: "Completion",
};

/** What a request ran, in a line: its class, or the start of its code. */
export function requestSummary(instance: JobInstance_Serialize): string {
  if (instance.jobClass) return instance.jobClass;
  const code = (instance.code ?? "").trim();
  const [first] = code.split("\n");
  const line = first.length > 80 ? `${first.slice(0, 79)}…` : first;
  return line === code ? line : `${line} …`;
}

/** How long a request has run (so far, while it runs); null while it is queued. */
export function instanceDuration(instance: JobInstance_Serialize, now: number): number | null {
  if (!instance.startTime) return null;
  return (instance.endTime || now) - instance.startTime;
}

/** Queued and running requests can still be cancelled. */
export const isCancellable = (instance: JobInstance_Serialize) => !isEnded(instance.state);
