// What the jobs and groups pages need beside their list: the cluster names (a filter) and the
// saved job defaults (their create forms start from them).
import { onMount } from "svelte";
import { commands } from "./bindings";
import { BUILT_IN_DEFAULTS } from "./jobForm";

export class ListContext {
  clusters = $state<string[]>([]);
  defaults = $state(BUILT_IN_DEFAULTS);

  /** Call while a component initialises; both load once it is mounted. */
  constructor() {
    onMount(() => {
      void commands.clusterNames().then((r) => {
        if (r.status === "ok") this.clusters = r.data;
      });
      void commands.getSettings().then((r) => {
        if (r.status === "ok") this.defaults = r.data.settings.jobDefaults;
      });
    });
  }
}
