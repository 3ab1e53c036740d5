// The groups page's filters and the listGroups query they make.
import type { GroupKind, GroupQuery_Deserialize, GroupState } from "./bindings";
import { emptyKeyValueRow, filledRows, keylessRow, rowsToMap, type KeyValueRow } from "./keyValue";
import { pageRequest, type Paging } from "./pagedList.svelte";

export type GroupFilters = {
  /** Matches names and descriptions. */
  search: string;
  /** "" for any. */
  state: GroupState | "";
  kind: GroupKind | "";
  clusterName: string;
  /** Groups with all these tags. */
  tags: KeyValueRow[];
};

export const noGroupFilters = (): GroupFilters => ({ search: "", state: "", kind: "", clusterName: "", tags: [emptyKeyValueRow()] });

export const isGroupFiltered = (f: GroupFilters) =>
  !!(f.search.trim() || f.state || f.kind || f.clusterName || filledRows(f.tags).length);

/** The query for one page; null while a tag has no key. */
export function groupQuery(f: GroupFilters, p: Paging): GroupQuery_Deserialize | null {
  if (keylessRow(f.tags)) return null;
  return {
    states: f.state ? [f.state] : [],
    kinds: f.kind ? [f.kind] : [],
    clusterNames: f.clusterName ? [f.clusterName] : [],
    tags: rowsToMap(f.tags),
    search: f.search.trim() || null,
    page: pageRequest(p),
  };
}
