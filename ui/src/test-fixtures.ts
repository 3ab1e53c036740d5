// Shared test data and an IPC mock that records every command the UI sends.
import { emit } from "@tauri-apps/api/event";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type { ClusterView_Serialize, IpcError_Serialize, Job_Serialize, Page } from "./lib/bindings";

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
    submitTime: Date.UTC(2025, 0, 1, 9, 0, 0),
    startTime: Date.UTC(2025, 0, 1, 9, 0, 3),
    endTime: Date.UTC(2025, 0, 1, 9, 3, 8),
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
