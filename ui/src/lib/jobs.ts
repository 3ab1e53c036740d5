// How jobs are shown: states and their colours, languages, times and durations.
import { ENDED_JOB_STATES, JOB_STATES as ENGINE_JOB_STATES } from "./bindings";
import type { ErrorCauseKind, Job_Serialize, JobState, JobType, Language } from "./bindings";

/** Every state, in the engine's order (the jobs page's state filter). */
export const JOB_STATES: readonly JobState[] = ENGINE_JOB_STATES;

/** States a job never leaves (the engine's `is_terminal`). */
export const ENDED_STATES: readonly JobState[] = ENDED_JOB_STATES;

export const JOB_TYPES: { type: JobType; label: string }[] = [
  { type: "SINGLE", label: "Single" },
  { type: "INTERACTIVE", label: "Interactive" },
  { type: "SHELL", label: "Shell" },
];

export const isEnded = (state: JobState) => ENDED_STATES.includes(state);

const CAUSE_LABELS: Record<ErrorCauseKind, string> = {
  DRIVER_OUT_OF_MEMORY: "Driver out of memory",
  EXECUTOR_OUT_OF_MEMORY: "Executor out of memory",
  MISSING_CLASS: "Missing class",
  MISSING_PYTHON_MODULE: "Missing Python module",
  MISSING_INPUT: "Missing input",
  EXECUTOR_LOST: "Executor lost",
  STAGE_FAILURE: "Stage failure",
  IMAGE_PULL: "Image not pulled",
  PYTHON_VERSION_MISMATCH: "Python version mismatch",
};

/** The short name of why a job failed (its `errorCause.kind`). */
export const causeLabel = (kind: ErrorCauseKind) => CAUSE_LABELS[kind];

export const stateLabel = (state: JobState) => state.charAt(0) + state.slice(1).toLowerCase();

export type Tone = "ok" | "danger" | "active" | "waiting" | "neutral";

/** The colour family of a state's badge (and of a bar in the durations chart). */
export function stateTone(state: JobState): Tone {
  switch (state) {
    case "FINISHED":
      return "ok";
    case "FAILED":
      return "danger";
    case "STARTING":
    case "READY":
    case "BUSY":
      return "active";
    case "SUBMITTED":
      return "waiting";
    default:
      return "neutral";
  }
}

export const languageLabel = (language: Language) => (language === "PYTHON" ? "Python" : language === "SQL" ? "SQL" : "JVM");

export const tagsText = (tags: Record<string, string>) =>
  Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join("; ");

/** How long a job has run (so far, when it has not ended); null before it starts. */
export function runTime(job: Job_Serialize, now: number): number | null {
  if (!job.startTime) return null;
  return (job.endTime || now) - job.startTime;
}

/** "850 ms", "42s", "3m 05s", "2h 07m": precise for short runs, coarse for long ones. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${pad(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
export const formatTime = (epochMs: number) => dateTime.format(epochMs);
export const isoTime = (epochMs: number) => new Date(epochMs).toISOString();
