// A desktop notification when a job ends while its window is in the background, through the
// web Notification API (no plugin). Webviews without it, or that refuse the permission (macOS's
// WKWebView has none; WebKitGTK refuses unless the app grants it), show nothing.
import type { Job_Serialize } from "./bindings";
import { stateLabel } from "./jobs";

export async function notifyJobEnded(job: Job_Serialize) {
  if (!("Notification" in window) || document.hasFocus()) return;
  const permission =
    Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
  if (permission !== "granted") return;
  new Notification(`${job.jobName}: ${stateLabel(job.state).toLowerCase()}`, {
    body: job.error ?? `The job on ${job.clusterName} has ended.`,
  });
}
