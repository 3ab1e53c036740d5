// Shared test data and an IPC mock that records every command the UI sends.
import { mockIPC } from "@tauri-apps/api/mocks";
import type { ClusterView_Serialize, IpcError_Serialize, Page } from "./lib/bindings";

type Args = Record<string, any>;
export type Call = { cmd: string; args: Args };

/** Mocks the backend with one handler per command; events are mocked too. */
export function mockBackend(handlers: Record<string, (args: Args) => unknown>): Call[] {
  const calls: Call[] = [];
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

export function pageOf(content: ClusterView_Serialize[], number = 0, size = 10, total = content.length) {
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
  } satisfies Page<ClusterView_Serialize>;
}
