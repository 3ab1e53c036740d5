// The submit form's state and the JobForm the backend takes.
import { DEFAULT_CLUSTER, type JobDefaults_Serialize, type JobForm_Deserialize, type Language } from "./bindings";
import type { FormError } from "./errors";
import { addPaths, languageFor, mainFile, nameFrom, type JobFiles } from "./jobFiles";
import { rowKey, storedPairsToRows, toPairs, type KeyValueRow } from "./keyValue";
import { checkMaxRetries, checkResources, newResources, resourceInputs, toResourceFields, type ResourcesState } from "./resources";

export type ArgRow = { key: number; value: string };

export type JobFormState = JobFiles & {
  name: string;
  language: Language;
  clusterName: string;
  /** The main class, for JVM jobs. */
  jobClass: string;
  config: KeyValueRow[];
  tags: KeyValueRow[];
  args: ArgRow[];
  /** One requirement a line, or ";"-separated. */
  requirements: string;
  /** Memory, executors and packages (the collapsible "Resources" section). */
  resources: ResourcesState;
  /** Attempts after a failed one (blank: none). */
  maxRetries: string;
};

/** The backend's own defaults, for when the saved ones cannot be read. */
export const BUILT_IN_DEFAULTS: JobDefaults_Serialize = { clusterName: DEFAULT_CLUSTER, language: "PYTHON", jobConfig: "" };

export const emptyArg = (): ArgRow => ({ key: rowKey(), value: "" });

/** A new form from the user's job defaults; `paths` (a drop on the jobs page) are filed and name the job. */
export function newJobForm(defaults: JobDefaults_Serialize, paths: string[] = []): JobFormState {
  const lists = addPaths({ jars: [], pyFiles: [], files: [] }, paths);
  const main = mainFile(paths);
  return {
    ...lists,
    name: main ? nameFrom(main) : "",
    language: languageFor(defaults.language, lists),
    clusterName: defaults.clusterName,
    jobClass: "",
    config: storedPairsToRows(defaults.jobConfig),
    tags: [],
    args: [],
    requirements: "",
    resources: newResources(),
    maxRetries: "",
  };
}

/** The API fields the form shows an error next to, for the chosen language; others go on top. */
export function inlineFields(form: JobFormState): Set<string> {
  const own = form.language === "PYTHON" ? "pyRequirements" : "jobClass";
  return new Set(["name", "language", "clusterName", "tags", "jobConfig", "args", "jars", "pyFiles", "files", own, "maxRetries", ...resourceInputs(form.resources)]);
}

/** Mistakes the joined text would hide; the backend checks everything else. */
export function checkJobForm(form: JobFormState): FormError | null {
  if (form.args.some((arg) => arg.value.includes(";"))) {
    return { field: "args", message: "cannot contain ';' (it separates the arguments)" };
  }
  return checkResources(form.resources) ?? checkMaxRetries(form.maxRetries);
}

/** pip requirements typed one a line (or ";"-separated) as the backend takes them: "a;b". */
export function requirementsText(text: string): string | undefined {
  const lines = text
    .split(/[;\n]/)
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.join(";") || undefined;
}

/**
 * The submission. Each language gets only its own inputs (a main class for JVM, pip
 * requirements for Python); the file lists are sent as shown, so the backend can say
 * what does not fit.
 */
export function toJobForm(form: JobFormState): JobForm_Deserialize {
  const python = form.language === "PYTHON";
  const args = form.args.map((arg) => arg.value).filter((value) => value !== "");
  return {
    name: form.name.trim(),
    language: form.language,
    clusterName: form.clusterName,
    jobClass: python ? undefined : form.jobClass.trim() || undefined,
    tags: toPairs(form.tags),
    jobConfig: toPairs(form.config),
    pyRequirements: python ? requirementsText(form.requirements) : undefined,
    args: args.length ? args.join(";") : undefined,
    jars: form.jars,
    pyFiles: form.pyFiles,
    files: form.files,
    ...toResourceFields(form.resources),
    maxRetries: form.maxRetries.trim() || undefined,
  };
}
