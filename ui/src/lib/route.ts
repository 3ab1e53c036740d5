// The UI's routes live in the URL hash, so a job's or a group's own window can load
// index.html#/job/<id> or index.html#/group/<id>.

export type Route = { page: "clusters" | "jobs" | "schedules" | "groups" | "settings" } | { page: "job" | "group"; id: string };

export function parseRoute(hash: string): Route {
  const [head, ...rest] = hash.replace(/^#\/?/, "").split("/");
  if ((head === "job" || head === "group") && rest.length) return { page: head, id: decodeURIComponent(rest.join("/")) };
  if (head === "jobs" || head === "schedules" || head === "groups" || head === "settings") return { page: head };
  return { page: "clusters" };
}
