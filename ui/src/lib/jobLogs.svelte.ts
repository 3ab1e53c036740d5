// A job's logs as its window shows them: the last TAIL lines of each, then new lines as
// they are written, for as long as the job runs.
import { Channel } from "@tauri-apps/api/core";
import { commands, MAX_LOG_LINES, type JobLog } from "./bindings";
import { describeError } from "./errors";

/** The most lines jobLogs returns at once (the engine's limit), and so how far back the window starts. */
export const TAIL = MAX_LOG_LINES;
/** Lines kept per log while following; older ones go, so a chatty job cannot fill memory. */
export const KEEP = 200_000;

/** One log: `lines[0]` is line `first` (counted from 0) of the whole log. */
export type LogLines = { name: string; first: number; lines: string[] };

export class JobLogs {
  logs = $state.raw<LogLines[]>([]);
  error = $state<string | null>(null);
  loading = $state(true);
  #id: string;
  #closed = false;

  constructor(id: string) {
    this.#id = id;
  }

  async start() {
    try {
      this.logs = (await readTails(this.#id)).map((log) => ({ name: log.name, first: log.from, lines: log.log }));
      for (const log of this.logs) void this.#follow(log.name, log.first + log.lines.length);
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.loading = false;
    }
  }

  /** Stops taking new lines (the window is going away). */
  close() {
    this.#closed = true;
  }

  async #follow(name: string, from: number) {
    const channel = new Channel<string[]>();
    channel.onmessage = (batch) => {
      if (!this.#closed) this.#append(name, batch);
    };
    const r = await commands.followJobLog(this.#id, name, from, channel);
    if (r.status === "error") this.error = describeError(r.error);
  }

  #append(name: string, batch: string[]) {
    this.logs = this.logs.map((log) => {
      if (log.name !== name) return log;
      const lines = log.lines.concat(batch);
      const drop = Math.max(0, lines.length - KEEP);
      return { name, first: log.first + drop, lines: drop ? lines.slice(drop) : lines };
    });
  }
}

/** The last TAIL lines of every log: their lengths first, then one read per distinct start. */
async function readTails(id: string): Promise<JobLog[]> {
  const sizes = await commands.jobLogs(id, 0, 0);
  if (sizes.status === "error") throw new Error(describeError(sizes.error));
  const startOf = (log: JobLog) => Math.max(0, log.totalLines - TAIL);
  const starts = [...new Set(sizes.data.map(startOf))];
  const reads = await Promise.all(starts.map((from) => commands.jobLogs(id, from, TAIL)));
  return sizes.data.map((size) => {
    const read = reads[starts.indexOf(startOf(size))];
    if (read.status === "error") throw new Error(describeError(read.error));
    return read.data.find((log) => log.name === size.name) ?? size;
  });
}
