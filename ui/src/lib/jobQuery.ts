// The jobs page's filters and the listJobs query they make.
import type { Direction, JobQuery_Deserialize, JobState, JobType } from "./bindings";
import { ENDED_STATES } from "./jobs";
import { parsePairs } from "./keyValue";

export type JobFilters = {
  search: string;
  /** "" for every type. */
  jobType: JobType | "";
  states: JobState[];
  /** "" for every cluster. */
  clusterName: string;
  /** "k=v;k2=v2": jobs with all these tags. */
  tags: string;
};

export const noFilters = (): JobFilters => ({ search: "", jobType: "", states: [], clusterName: "", tags: "" });

export const isFiltered = (f: JobFilters) =>
  !!(f.search.trim() || f.jobType || f.states.length || f.clusterName || f.tags.trim());

export type JobPaging = { page: number; size: number; field: string; direction: Direction };

/** The query for one page; null while the tags text is not k=v pairs. */
export function jobQuery(f: JobFilters, p: JobPaging): JobQuery_Deserialize | null {
  const tags = parsePairs(f.tags);
  if (!tags) return null;
  return {
    jobTypes: f.jobType ? [f.jobType] : [],
    states: [...f.states],
    clusterNames: f.clusterName ? [f.clusterName] : [],
    tags,
    search: f.search.trim() || null,
    page: { page: p.page, size: p.size, sort: [{ field: p.field, direction: p.direction }] },
  };
}

/** How many ended jobs the durations chart shows. */
export const RECENT = 20;

/** The most recently ended jobs, for the durations chart. */
export const recentQuery = (): JobQuery_Deserialize => ({
  states: ENDED_STATES,
  page: { page: 0, size: RECENT, sort: [{ field: "endTime", direction: "desc" }] },
});
