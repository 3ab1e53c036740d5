// The UI's routes live in the URL hash, so a job's own window can load index.html#/job/<id>.

export type Route = { page: "clusters" | "jobs" | "settings" } | { page: "job"; id: string };

export function parseRoute(hash: string): Route {
  const [head, ...rest] = hash.replace(/^#\/?/, "").split("/");
  if (head === "job" && rest.length) return { page: "job", id: decodeURIComponent(rest.join("/")) };
  if (head === "jobs" || head === "settings") return { page: head };
  return { page: "clusters" };
}
