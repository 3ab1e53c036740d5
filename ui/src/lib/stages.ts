// What the Stages tab shows of a job's Spark stages: skew and spill marks, sizes, timeline bars.
import type { StageSummary_Serialize } from "./bindings";

/** A stage is skewed when its slowest task took at least 3× the median and 1 s more: one
 *  partition holds up the rest. */
export const SKEW_RATIO = 3;
export const SKEW_MIN_EXTRA_MS = 1000;

export function isSkewed(stage: StageSummary_Serialize): boolean {
  const d = stage.taskDurationMs;
  if (!d) return false;
  return d.max >= SKEW_RATIO * d.median && d.max - d.median >= SKEW_MIN_EXTRA_MS;
}

export const hasSpill = (stage: StageSummary_Serialize) => stage.memorySpilledBytes + stage.diskSpilledBytes > 0;

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** "0", "512 B", "1.5 MiB". */
export function formatBytes(bytes: number): string {
  if (!bytes) return "0";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

export type Bar = { stage: StageSummary_Serialize; left: number; width: number };

/** Each started stage as a bar over the application's span: left and width in percent. */
export function timelineBars(stages: StageSummary_Serialize[], now: number): Bar[] {
  const started = stages.filter((s) => s.submissionTime > 0);
  if (!started.length) return [];
  const end = (s: StageSummary_Serialize) => s.completionTime || Math.max(s.submissionTime + s.durationMs, s.submissionTime, now);
  const first = Math.min(...started.map((s) => s.submissionTime));
  const last = Math.max(...started.map(end));
  const span = Math.max(1, last - first);
  return [...started]
    .sort((a, b) => a.submissionTime - b.submissionTime || a.stageId - b.stageId)
    .map((stage) => ({
      stage,
      left: ((stage.submissionTime - first) / span) * 100,
      width: Math.max(0.5, ((end(stage) - stage.submissionTime) / span) * 100),
    }));
}

/** A stage's name without its script's folder (`count at /jobs/j1/main.py:3` → `count at
 *  main.py:3`), as the engine matches stages of two runs. */
export function shortName(name: string): string {
  const at = name.lastIndexOf(" at ");
  if (at < 0) return name;
  const site = name.slice(at + 4);
  return `${name.slice(0, at)} at ${site.slice(site.lastIndexOf("/") + 1)}`;
}
