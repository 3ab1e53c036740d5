import type { ClusterType } from "./bindings";

/** How each cluster type is named and explained in the UI, in the order it is offered. */
export const CLUSTER_TYPES: { type: ClusterType; label: string; hint: string }[] = [
  { type: "local", label: "Local", hint: "Spark on this machine" },
  { type: "standalone", label: "Standalone", hint: "A Spark standalone master" },
  { type: "k8s", label: "Kubernetes", hint: "A Kubernetes API server" },
];

export function typeLabel(type: ClusterType): string {
  return CLUSTER_TYPES.find((t) => t.type === type)?.label ?? type;
}
