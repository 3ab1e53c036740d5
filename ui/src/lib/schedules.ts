// Schedules as the page shows them: state words and tones, the last run, the list query.
import { SCHEDULE_STATES as ENGINE_SCHEDULE_STATES, type EngineEvent_Serialize, type Job_Serialize, type ScheduleQuery_Deserialize, type ScheduleState, type Schedule_Serialize } from "./bindings";
import type { Tone } from "./jobs";
import { pageRequest, type Paging } from "./pagedList.svelte";

export const SCHEDULE_STATES: readonly ScheduleState[] = ENGINE_SCHEDULE_STATES;

const LABELS: Record<ScheduleState, string> = { ENABLED: "Enabled", PAUSED: "Paused", DISABLED: "Stopped" };
export const scheduleStateLabel = (state: ScheduleState) => LABELS[state];
export const scheduleStateTone = (state: ScheduleState): Tone => (state === "ENABLED" ? "active" : state === "PAUSED" ? "waiting" : "neutral");

/** Its newest run, if any (the view lists them newest first). */
export const lastRun = (schedule: Schedule_Serialize): Job_Serialize | undefined => schedule.jobs[0];

/** Which buttons a schedule in this state has. */
export function scheduleActions(state: ScheduleState): ("pause" | "resume" | "stop")[] {
  if (state === "ENABLED") return ["pause", "stop"];
  if (state === "PAUSED") return ["resume", "stop"];
  return ["resume"];
}

export type ScheduleFilters = { search: string; state: ScheduleState | "" };

export const noScheduleFilters = (): ScheduleFilters => ({ search: "", state: "" });

/** One page: every state unless one is picked. */
export const scheduleQuery = (f: ScheduleFilters, p: Paging): ScheduleQuery_Deserialize => ({
  states: f.state ? [f.state] : [],
  search: f.search.trim() || null,
  page: pageRequest(p),
});

/** The events that may change the list: a schedule's own, and its runs' (which carry its id). */
export const concernsSchedules = (event: EngineEvent_Serialize) =>
  event.kind === "scheduleChanged" || event.kind === "scheduleDeleted" || (event.kind === "jobChanged" && !!event.job.scheduleId);
