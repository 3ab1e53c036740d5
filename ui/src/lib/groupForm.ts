// The create form's state and the GroupCreateForm the backend takes.
import type { GroupCreateForm_Deserialize, GroupKind, JobDefaults_Serialize, Language } from "./bindings";
import type { FormError } from "./errors";
import { MAX_SCALE } from "./groups";
import type { JobFiles } from "./jobFiles";
import { requirementsText } from "./jobForm";
import { storedPairsToRows, toPairs, type KeyValueRow } from "./keyValue";
import { checkResources, newResources, resourceInputs, toResourceFields, type ResourcesState } from "./resources";

export type GroupFormState = JobFiles & {
  name: string;
  description: string;
  kind: GroupKind;
  language: Language;
  clusterName: string;
  /** Drivers to keep running; null while the input is empty. */
  scale: number | null;
  config: KeyValueRow[];
  tags: KeyValueRow[];
  /** One requirement a line, or ";"-separated. */
  requirements: string;
  /** Redeploy the drivers when a jar is rebuilt where it was picked from. */
  watchJars: boolean;
  /** Pause once idle; the next request resumes the group. */
  autoPause: boolean;
  /** Memory, executors and packages (the collapsible "Resources" section). */
  resources: ResourcesState;
};

/** A new form from the user's job defaults (cluster, language, Spark properties). */
export function newGroupForm(defaults: JobDefaults_Serialize): GroupFormState {
  return {
    jars: [],
    pyFiles: [],
    files: [],
    name: "",
    description: "",
    kind: "JOB",
    language: defaults.language,
    clusterName: defaults.clusterName,
    scale: 1,
    config: storedPairsToRows(defaults.jobConfig),
    tags: [],
    requirements: "",
    watchJars: false,
    autoPause: false,
    resources: newResources(),
  };
}

/** The language sent: a code group's as picked (Scala, Python or SQL); job classes are Python or JVM. */
export const groupLanguage = (form: GroupFormState): Language =>
  form.kind === "JOB" && form.language === "SQL" ? "PYTHON" : form.language;

/** The API fields the form shows an error next to; others go on top. */
export function inlineGroupFields(form: GroupFormState): Set<string> {
  const fields = ["name", "description", "kind", "language", "clusterName", "scale", "tags", "jobConfig", "jars", "jarPaths", "watchJars", "pyFiles", "files", "autoPause", ...resourceInputs(form.resources)];
  if (groupLanguage(form) === "PYTHON") fields.push("pyRequirements");
  return new Set(fields);
}

/** An empty or fractional scale would be sent as the default or refused; say so here. */
export function checkGroupForm(form: GroupFormState): FormError | null {
  const { scale } = form;
  if (scale === null || !Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    return { field: "scale", message: `must be a whole number from 0 to ${MAX_SCALE}` };
  }
  return checkResources(form.resources);
}

/** The submission; pip requirements only for Python groups, file lists as shown. */
export function toGroupForm(form: GroupFormState): GroupCreateForm_Deserialize {
  const language = groupLanguage(form);
  return {
    name: form.name.trim(),
    description: form.description.trim() || undefined,
    kind: form.kind,
    language,
    clusterName: form.clusterName,
    scale: form.scale,
    tags: toPairs(form.tags),
    jobConfig: toPairs(form.config),
    pyRequirements: language === "PYTHON" ? requirementsText(form.requirements) : undefined,
    jars: form.jars,
    pyFiles: form.pyFiles,
    files: form.files,
    watchJars: form.watchJars && form.jars.length > 0,
    autoPause: form.autoPause || undefined,
    ...toResourceFields(form.resources),
  };
}
