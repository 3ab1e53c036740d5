// The schedule form's state: the job's fields (as in the submit form), the schedule's own
// (cron, time zone, overlap, catch-up, start and end), and what create and update send.
import type {
  CatchUp,
  JobDefaults_Serialize,
  OverlapPolicy,
  ScheduleCreateForm_Deserialize,
  ScheduleUpdateForm_Deserialize,
  Schedule_Serialize,
} from "./bindings";
import type { FormError } from "./errors";
import { checkJobForm, inlineFields, newJobForm, toJobForm, type JobFormState } from "./jobForm";
import { pairsToRows, rowKey, toPairs } from "./keyValue";
import { resourcesFrom, toResourceFields } from "./resources";

export type ScheduleFormState = JobFormState & {
  description: string;
  cron: string;
  /** IANA name; blank: the machine's. */
  timeZone: string;
  overlapPolicy: OverlapPolicy;
  catchUp: CatchUp;
  /** `datetime-local` values ("2026-01-31T02:00"), blank: not set. */
  startTime: string;
  endTime: string;
};

export const OVERLAP_CHOICES: { value: OverlapPolicy; label: string; hint: string }[] = [
  { value: "SKIP", label: "Skip", hint: "A run due while the last one runs is left out" },
  { value: "QUEUE", label: "Queue", hint: "It waits for the last one to end" },
  { value: "REPLACE", label: "Replace", hint: "The last one is stopped" },
  { value: "ALLOW", label: "Allow", hint: "Both run" },
];

export const CATCH_UP_CHOICES: { value: CatchUp; label: string; hint: string }[] = [
  { value: "LATEST", label: "Latest", hint: "One run for all missed while closed or asleep" },
  { value: "NONE", label: "None", hint: "Missed runs are left out" },
  { value: "ALL", label: "All", hint: "Each missed run, within the horizon" },
];

/** A new form from the user's job defaults; dropped `paths` are filed and name it. */
export function newScheduleForm(defaults: JobDefaults_Serialize, paths: string[] = []): ScheduleFormState {
  return {
    ...newJobForm(defaults, paths),
    description: "",
    cron: "",
    timeZone: "",
    overlapPolicy: "SKIP",
    catchUp: "LATEST",
    startTime: "",
    endTime: "",
  };
}

/** A stored schedule, to edit: its files stay (an update takes none). */
export function scheduleFormFrom(schedule: Schedule_Serialize): ScheduleFormState {
  const python = schedule.language === "PYTHON";
  return {
    jars: [],
    pyFiles: [],
    files: [],
    name: schedule.name,
    language: schedule.language,
    clusterName: schedule.clusterName,
    jobClass: python ? "" : (schedule.jobClass ?? ""),
    config: pairsToRows(schedule.jobConfig),
    tags: pairsToRows(schedule.tags),
    args: schedule.args.map((value) => ({ key: rowKey(), value })),
    requirements: schedule.pyRequirements.split(";").filter(Boolean).join("\n"),
    resources: resourcesFrom(schedule.memorySettings, schedule.packages.split(",").filter(Boolean)),
    maxRetries: String(schedule.maxRetries),
    description: schedule.description,
    cron: schedule.cron,
    timeZone: schedule.timeZone,
    overlapPolicy: schedule.overlapPolicy,
    catchUp: schedule.catchUp,
    startTime: schedule.startTime ? localInput(schedule.startTime) : "",
    endTime: schedule.endTime ? localInput(schedule.endTime) : "",
  };
}

/** Epoch ms as a `datetime-local` value in this machine's time. */
export function localInput(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value as epoch ms (the form's fields are text); blank stays blank. */
const epochText = (value: string) => (value ? String(new Date(value).getTime()) : "");

/** The fields the form shows an error next to. */
export function inlineScheduleFields(form: ScheduleFormState): Set<string> {
  return new Set([...inlineFields(form), "description", "cron", "timeZone", "overlapPolicy", "catchUp", "startTime", "endTime"]);
}

/** The job form's checks, and an end before the start. */
export function checkScheduleForm(form: ScheduleFormState): FormError | null {
  if (!form.cron.trim()) return { field: "cron", message: "is required, e.g. 0 2 * * * (every day at 02:00)" };
  if (form.startTime && form.endTime && new Date(form.endTime) < new Date(form.startTime)) {
    return { field: "endTime", message: "is before the start" };
  }
  return checkJobForm(form);
}

const scheduleFields = (form: ScheduleFormState) => ({
  description: form.description.trim() || undefined,
  cron: form.cron.trim(),
  timeZone: form.timeZone.trim() || undefined,
  overlapPolicy: form.overlapPolicy,
  catchUp: form.catchUp,
  startTime: epochText(form.startTime) || undefined,
  endTime: epochText(form.endTime) || undefined,
});

/** The creation: the job as the submit form sends it (the first Python file is the main script). */
export function toScheduleCreateForm(form: ScheduleFormState): ScheduleCreateForm_Deserialize {
  return { ...toJobForm(form), ...scheduleFields(form) };
}

/** The changes: every field sent, an empty one clearing what was stored (a blank time zone keeps it). */
export function toScheduleUpdateForm(form: ScheduleFormState): ScheduleUpdateForm_Deserialize {
  const python = form.language === "PYTHON";
  const args = form.args.map((arg) => arg.value).filter((value) => value !== "");
  const job = toJobForm(form);
  return {
    ...scheduleFields(form),
    description: form.description.trim(),
    startTime: epochText(form.startTime),
    endTime: epochText(form.endTime),
    tags: toPairs(form.tags) ?? "",
    jobConfig: toPairs(form.config) ?? "",
    args: args.join(";"),
    jobClass: python ? undefined : job.jobClass,
    pyRequirements: python ? (job.pyRequirements ?? "") : undefined,
    maxRetries: form.maxRetries.trim() || "0",
    ...toResourceFields(form.resources, true),
  };
}
