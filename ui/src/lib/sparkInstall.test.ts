import { expect, test } from "vitest";
import type { SparkInstallStatus_Serialize } from "./bindings";
import { installProgress } from "./sparkInstall";

const running = (fields: Partial<SparkInstallStatus_Serialize>): SparkInstallStatus_Serialize => ({
  state: "running",
  step: "createEnvironment",
  bytesDone: null,
  bytesTotal: null,
  error: null,
  sparkDir: null,
  ...fields,
});

test("the bar moves through the steps and with the downloaded bytes", () => {
  const fractions = [
    running({}),
    running({ step: "download", bytesTotal: 400e6 }),
    running({ step: "download", bytesDone: 100e6, bytesTotal: 400e6 }),
    running({ step: "download", bytesDone: 400e6, bytesTotal: 400e6 }),
    running({ step: "install" }),
    running({ step: "check" }),
    running({ state: "succeeded", step: "check" }),
  ].map((s) => installProgress(s).fraction);
  expect(fractions).toEqual([0, 0.1, 0.275, 0.8, 0.8, 0.95, 1]);
  expect(installProgress(running({ step: "download", bytesDone: 100e6, bytesTotal: 400e6 })).label).toBe(
    "Downloading pyspark — 100.0 MB of 400.0 MB",
  );
  expect(installProgress(running({ step: "download", bytesTotal: 203e3 })).label).toBe("Downloading pyspark — 203.0 kB");
});
