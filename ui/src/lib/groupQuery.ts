// The groups page's filters and the listGroups query they make.
import type { GroupKind, GroupQuery_Deserialize, GroupState } from "./bindings";
import type { JobPaging } from "./jobQuery";
import { parsePairs } from "./keyValue";

export type GroupFilters = {
  /** Matches names and descriptions. */
  search: string;
  /** "" for any. */
  state: GroupState | "";
  kind: GroupKind | "";
  clusterName: string;
  /** "k=v;k2=v2": groups with all these tags. */
  tags: string;
};

export const noGroupFilters = (): GroupFilters => ({ search: "", state: "", kind: "", clusterName: "", tags: "" });

export const isGroupFiltered = (f: GroupFilters) =>
  !!(f.search.trim() || f.state || f.kind || f.clusterName || f.tags.trim());

/** The query for one page; null while the tags text is not k=v pairs. */
export function groupQuery(f: GroupFilters, p: JobPaging): GroupQuery_Deserialize | null {
  const tags = parsePairs(f.tags);
  if (!tags) return null;
  return {
    states: f.state ? [f.state] : [],
    kinds: f.kind ? [f.kind] : [],
    clusterNames: f.clusterName ? [f.clusterName] : [],
    tags,
    search: f.search.trim() || null,
    page: { page: p.page, size: p.size, sort: [{ field: p.field, direction: p.direction }] },
  };
}
