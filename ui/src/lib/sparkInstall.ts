// How far a Spark install is, for its progress bar: each step has its share of the bar,
// and the download's share follows the bytes where pip reports them.
import type { InstallStep, SparkInstallStatus_Serialize, SparkSource } from "./bindings";

const SHARES: Record<InstallStep, [number, number]> = {
  createEnvironment: [0, 0.1],
  download: [0.1, 0.8],
  install: [0.8, 0.95],
  check: [0.95, 1],
};

const LABELS: Record<InstallStep, string> = {
  createEnvironment: "Creating the Python environment",
  download: "Downloading pyspark",
  install: "Installing pyspark",
  check: "Checking the installed Spark",
};

function size(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** The bar's fraction (0–1) and the line under it. */
export function installProgress(status: SparkInstallStatus_Serialize): { fraction: number; label: string } {
  if (status.state === "succeeded") return { fraction: 1, label: "Spark is installed" };
  if (!status.step) return { fraction: 0, label: "Starting" };
  const [from, to] = SHARES[status.step];
  const { bytesDone: done, bytesTotal: total } = status;
  let label = LABELS[status.step];
  let within = 0;
  if (status.step === "download" && total) {
    if (done != null) {
      within = Math.min(done / total, 1);
      label += ` — ${size(done)} of ${size(total)}`;
    } else {
      label += ` — ${size(total)}`;
    }
  }
  return { fraction: from + (to - from) * within, label };
}

/** Where the Spark jobs run with was found, in words. */
export function sourceLabel(source: SparkSource): string {
  switch (source) {
    case "sparkHome":
      return "the SPARK_HOME environment variable";
    case "settings":
      return "the folder you picked";
    case "installed":
      return "installed by Sparkdeck";
    case "pythonEnv":
      return "the SPARKDECK_PYTHON_ENV virtualenv";
    case "venv":
      return "the .venv of Sparkdeck's checkout or install folder";
    case "systemPython":
      return "the pyspark of this computer's python3";
  }
}
