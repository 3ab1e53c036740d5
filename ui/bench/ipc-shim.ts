// Answers the Tauri IPC in a plain browser, so benches/memory.sh can load the built UI
// (ui/dist) in Chromium and show the same pages as the app on an empty data directory.
// Built on its own (vite.shim.config.ts) and injected by the bench; never part of ui/dist.
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { clusterView, pageOf } from "../src/test-fixtures";

const SETTINGS = {
  settings: { restServer: { enabled: false, port: 9888 }, jobDefaults: { clusterName: "default", language: "PYTHON", jobConfig: "" } },
  dataDir: "/tmp/sparkdeck",
};

const SPARK_ENV = {
  sparkHome: "/opt/spark",
  sparkSubmit: "/opt/spark/bin/spark-submit",
  sparkVersion: "4.3.0",
  java: "/usr/bin/java",
  javaHome: "/usr/lib/jvm/java-17",
  javaVersion: "17.0.10",
  python: "/usr/bin/python3",
  driverDir: null,
  source: "sparkHome",
};

const EMPTY_PAGE = (args: Record<string, any>) => pageOf([], 0, args.query?.page?.size ?? 25);

const HANDLERS: Record<string, (args: Record<string, any>) => unknown> = {
  list_clusters: () => pageOf([clusterView()], 0, 25),
  cluster_names: () => ["default"],
  list_jobs: EMPTY_PAGE,
  list_schedules: EMPTY_PAGE,
  list_groups: EMPTY_PAGE,
  get_settings: () => SETTINGS,
  // Spark is found, so the main window shows the shell rather than the first-run screen.
  spark_status: () => ({ env: SPARK_ENV, error: null }),
};

mockWindows("main");
mockIPC(
  (cmd, args) => {
    const handler = HANDLERS[cmd];
    if (handler) return handler((args ?? {}) as Record<string, any>);
    console.warn(`ipc-shim: no answer for ${cmd}`);
    return null;
  },
  { shouldMockEvents: true },
);
