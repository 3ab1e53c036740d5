// The jobs page's filters and the listJobs query they make.
import type { JobQuery_Deserialize, JobState, JobType } from "./bindings";
import { ENDED_STATES } from "./jobs";
import { emptyKeyValueRow, filledRows, keylessRow, rowsToMap, type KeyValueRow } from "./keyValue";
import { pageRequest, type Paging } from "./pagedList.svelte";

export type JobFilters = {
  search: string;
  /** "" for every type. */
  jobType: JobType | "";
  states: JobState[];
  /** "" for every cluster. */
  clusterName: string;
  /** Jobs with all these tags. */
  tags: KeyValueRow[];
};

export const noFilters = (): JobFilters => ({ search: "", jobType: "", states: [], clusterName: "", tags: [emptyKeyValueRow()] });

export const isFiltered = (f: JobFilters) =>
  !!(f.search.trim() || f.jobType || f.states.length || f.clusterName || filledRows(f.tags).length);

/** The query for one page; null while a tag has no key. */
export function jobQuery(f: JobFilters, p: Paging): JobQuery_Deserialize | null {
  if (keylessRow(f.tags)) return null;
  return {
    jobTypes: f.jobType ? [f.jobType] : [],
    states: [...f.states],
    clusterNames: f.clusterName ? [f.clusterName] : [],
    tags: rowsToMap(f.tags),
    search: f.search.trim() || null,
    page: pageRequest(p),
  };
}

/** How many ended jobs the durations chart shows. */
export const RECENT = 20;

/** The most recently ended jobs, for the durations chart. */
export const recentQuery = (): JobQuery_Deserialize => ({
  states: [...ENDED_STATES],
  page: { page: 0, size: RECENT, sort: [{ field: "endTime", direction: "desc" }] },
});
