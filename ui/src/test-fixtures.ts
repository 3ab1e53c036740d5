// Shared test data and an IPC mock that records every command the UI sends.
import { emit } from "@tauri-apps/api/event";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type {
  ClusterView_Serialize,
  Group_Serialize,
  IpcError_Serialize,
  JobInstance_Serialize,
  JobState,
  Job_Serialize,
  Page,
  Schedule_Serialize,
} from "./lib/bindings";

type Args = Record<string, any>;
export type Call = { cmd: string; args: Args };

/** Mocks the backend with one handler per command; events and the window are mocked too. */
export function mockBackend(handlers: Record<string, (args: Args) => unknown>): Call[] {
  const calls: Call[] = [];
  mockWindows("main");
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: args as Args });
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unexpected command ${cmd}`);
      return handler(args as Args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

export const argsOf = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args);

/** What a command rejects with when the backend refuses: the IpcError itself. */
export function refuse(code: IpcError_Serialize["code"], message: string, field: string | null = null) {
  return Promise.reject({ code, message, field } satisfies IpcError_Serialize);
}

export function clusterView(fields: Partial<ClusterView_Serialize> = {}): ClusterView_Serialize {
  return {
    id: "c-default",
    name: "default",
    description: "This machine",
    type: "local",
    sparkMaster: "local[8]",
    sparkDeployMode: "client",
    threads: 8,
    url: "",
    restUrl: "",
    webUiUrl: "",
    caCert: "",
    clientCert: "",
    clientKey: null,
    clientKeyAlgorithm: "",
    clientKeyPassphrase: null,
    username: "",
    password: null,
    token: null,
    storages: {},
    sparkStorage: "",
    defaultApplicationConfig: {},
    createdTime: Date.UTC(2025, 0, 1),
    updatedTime: Date.UTC(2025, 0, 2),
    ...fields,
  };
}

/** Files dragged onto the window, as the webview reports them. */
export async function dropFiles(paths: string[]) {
  // Components subscribe on mount, through several IPC round trips; let those finish.
  await new Promise((resolve) => setTimeout(resolve));
  await emit("tauri://drag-over", { position: { x: 10, y: 10 } });
  await emit("tauri://drag-drop", { paths, position: { x: 10, y: 10 } });
}

export function job(fields: Partial<Job_Serialize> = {}): Job_Serialize {
  return {
    jobId: "j-1",
    groupId: null,
    jobName: "daily-etl",
    jobType: "SINGLE",
    tags: { team: "data" },
    language: "PYTHON",
    clusterName: "default",
    appId: "local-1700000000000",
    state: "FINISHED",
    error: null,
    errorCause: null,
    sparkUiUrl: null,
    submitTime: Date.UTC(2025, 0, 1, 9, 0, 0),
    startTime: Date.UTC(2025, 0, 1, 9, 0, 3),
    endTime: Date.UTC(2025, 0, 1, 9, 3, 8),
    jobClass: null,
    jobConfig: {},
    args: [],
    pyRequirements: "",
    packages: "",
    memorySettings: {},
    scheduleId: null,
    attempt: 1,
    maxRetries: 0,
    usualDurationMs: null,
    slowerThanUsual: false,
    ...fields,
  };
}

/** One of group g-1's drivers, up since 9:00:05. */
export function driver(jobId: string, state: JobState = "READY"): Job_Serialize {
  return job({
    jobId,
    groupId: "g-1",
    jobName: "scoring",
    jobType: "INTERACTIVE",
    appId: `local-${jobId}`,
    state,
    startTime: state === "STARTING" ? 0 : Date.UTC(2025, 0, 1, 9, 0, 5),
    endTime: 0,
  });
}

/** An active Python job classes group with both its drivers ready. */
export function group(fields: Partial<Group_Serialize> = {}): Group_Serialize {
  return {
    id: "g-1",
    name: "scoring",
    description: "Scores orders",
    kind: "JOB",
    tags: { team: "data" },
    language: "PYTHON",
    clusterName: "default",
    state: "ACTIVE",
    scale: 2,
    jobConfig: {},
    pyRequirements: [],
    packages: "",
    memorySettings: {},
    paused: false,
    autoPause: false,
    createdTime: Date.UTC(2025, 0, 1, 9, 0, 0),
    updatedTime: Date.UTC(2025, 0, 1, 9, 0, 0),
    archivedTime: 0,
    jobs: [driver("d-2"), driver("d-1")],
    ...fields,
  };
}

/** A finished request to group g-1 that took 12 ms. */
export function instance(fields: Partial<JobInstance_Serialize> = {}): JobInstance_Serialize {
  return {
    jobInstanceId: "i-1",
    jobId: "d-1",
    groupId: "g-1",
    type: "interactive_job_execute",
    state: "FINISHED",
    jobClass: "jobs.Score",
    jobConfig: {},
    code: null,
    cursor: null,
    result: "scored 10 rows",
    completions: null,
    language: null,
    data: null,
    error: null,
    submitTime: Date.UTC(2025, 0, 1, 10, 0, 0, 0),
    startTime: Date.UTC(2025, 0, 1, 10, 0, 0, 3),
    endTime: Date.UTC(2025, 0, 1, 10, 0, 0, 15),
    ...fields,
  };
}

export function pageOf<T>(content: T[], number = 0, size = 10, total = content.length) {
  const totalPages = Math.ceil(total / size);
  return {
    page: { number, size, offset: number * size, paged: true },
    sort: [],
    totalElements: total,
    totalPages,
    first: number === 0,
    last: number + 1 >= totalPages,
    empty: content.length === 0,
    content,
  } satisfies Page<T>;
}

/** A nightly Python schedule, enabled, with no runs yet. */
export function schedule(fields: Partial<Schedule_Serialize> = {}): Schedule_Serialize {
  return {
    id: "s-1",
    name: "nightly",
    description: "",
    cron: "0 2 * * *",
    timeZone: "UTC",
    tags: {},
    language: "PYTHON",
    clusterName: "default",
    jobClass: "main.py",
    jobConfig: {},
    args: [],
    pyRequirements: "",
    packages: "",
    memorySettings: {},
    state: "ENABLED",
    startTime: 0,
    endTime: 0,
    maxRetries: 0,
    overlapPolicy: "SKIP",
    catchUp: "LATEST",
    catchUpHorizon: 86400,
    createdTime: Date.UTC(2025, 0, 1, 8, 0, 0),
    disabledTime: 0,
    nextRunTimes: [Date.UTC(2025, 0, 2, 2, 0, 0), Date.UTC(2025, 0, 3, 2, 0, 0)],
    lastDueTime: 0,
    queuedDueTime: 0,
    jobs: [],
    ...fields,
  };
}
