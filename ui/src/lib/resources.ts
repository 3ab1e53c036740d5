// The "Resources" section of the job and group forms: memory and executor settings (the
// platform's 1.5.3 fields) and Maven packages, as typed, checked and sent.
import { MAX_RETRIES, type MemorySettingsForm_Deserialize, type MemorySettings_Serialize } from "./bindings";
import type { FormError } from "./errors";

export type ResourcesState = {
  driverMemory: string;
  executorMemory: string;
  driverCores: string;
  executorCores: string;
  executors: string;
  dynamicAllocation: boolean;
  minExecutors: string;
  initialExecutors: string;
  maxExecutors: string;
  /** Maven coordinates, one a line or comma-separated. */
  packages: string;
};

/** Every API field of the section. */
export const RESOURCE_FIELDS = [
  "driverMemory",
  "executorMemory",
  "driverCores",
  "executorCores",
  "executors",
  "dynamicAllocation",
  "minExecutors",
  "initialExecutors",
  "maxExecutors",
  "packages",
] as const;

/** The fields the section shows an input for now (the executor bounds with dynamic allocation, else the count). */
export function resourceInputs(state: ResourcesState): string[] {
  const hidden = state.dynamicAllocation ? ["executors"] : ["minExecutors", "initialExecutors", "maxExecutors"];
  return RESOURCE_FIELDS.filter((field) => !hidden.includes(field));
}

export function newResources(): ResourcesState {
  return {
    driverMemory: "",
    executorMemory: "",
    driverCores: "",
    executorCores: "",
    executors: "",
    dynamicAllocation: false,
    minExecutors: "",
    initialExecutors: "",
    maxExecutors: "",
    packages: "",
  };
}

/** A stored job's or group's settings, to edit. */
export function resourcesFrom(settings: MemorySettings_Serialize, packages: string[]): ResourcesState {
  const text = (value: number | string | undefined) => (value === undefined ? "" : String(value));
  return {
    driverMemory: text(settings.driverMemory),
    executorMemory: text(settings.executorMemory),
    driverCores: text(settings.driverCores),
    executorCores: text(settings.executorCores),
    executors: text(settings.executors),
    dynamicAllocation: settings.dynamicAllocation ?? false,
    minExecutors: text(settings.minExecutors),
    initialExecutors: text(settings.initialExecutors),
    maxExecutors: text(settings.maxExecutors),
    packages: packages.join("\n"),
  };
}

const JVM_SIZE = /^[0-9]{1,12}[kmgt]$/i;
const WHOLE = /^[0-9]{1,9}$/;

/** What the backend would refuse, said before sending: JVM sizes, whole numbers, min ≤ initial ≤ max. */
export function checkResources(state: ResourcesState): FormError | null {
  for (const field of ["driverMemory", "executorMemory"] as const) {
    const text = state[field].trim();
    if (text && (!JVM_SIZE.test(text) || /^0+[kmgt]$/i.test(text))) {
      return { field, message: `'${text}' is not a JVM memory size such as 512m, 4g, 1t or 100k` };
    }
  }
  for (const field of ["driverCores", "executorCores", ...(state.dynamicAllocation ? [] : ["executors" as const])] as const) {
    const text = state[field].trim();
    if (text && (!WHOLE.test(text) || Number(text) < 1)) return { field, message: `'${text}' is not a whole number from 1 up` };
  }
  if (!state.dynamicAllocation) return null;
  for (const field of ["minExecutors", "initialExecutors", "maxExecutors"] as const) {
    const text = state[field].trim();
    if (text && !WHOLE.test(text)) return { field, message: `'${text}' is not a whole number from 0 up` };
  }
  const count = (text: string) => (text.trim() ? Number(text) : undefined);
  const [min, initial, max] = [count(state.minExecutors), count(state.initialExecutors), count(state.maxExecutors)];
  if (min !== undefined && max !== undefined && min > max) {
    return { field: "minExecutors", message: `minExecutors (${min}) is above maxExecutors (${max})` };
  }
  if (initial !== undefined && (initial < (min ?? 0) || (max !== undefined && initial > max))) {
    return { field: "initialExecutors", message: `${initial} is outside minExecutors..maxExecutors (${min ?? 0}..${max ?? "no limit"})` };
  }
  return null;
}

/** Coordinates typed one a line or comma-separated, as the backend takes them: "a,b". */
export function packagesText(text: string): string | undefined {
  const parts = text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean);
  return parts.join(",") || undefined;
}

/**
 * The section as form fields. `clear`: an update, where an empty field is sent as "" so it
 * clears the stored setting; a new job or group leaves it out. The executor bounds go only
 * with dynamic allocation on.
 */
export function toResourceFields(state: ResourcesState, clear = false): MemorySettingsForm_Deserialize & { packages?: string } {
  const given = (text: string) => text.trim() || (clear ? "" : undefined);
  const dynamic = state.dynamicAllocation;
  return {
    driverMemory: given(state.driverMemory),
    executorMemory: given(state.executorMemory),
    driverCores: given(state.driverCores),
    executorCores: given(state.executorCores),
    executors: given(dynamic ? "" : state.executors),
    dynamicAllocation: dynamic ? "true" : clear ? "" : undefined,
    minExecutors: given(dynamic ? state.minExecutors : ""),
    initialExecutors: given(dynamic ? state.initialExecutors : ""),
    maxExecutors: given(dynamic ? state.maxExecutors : ""),
    packages: packagesText(state.packages) ?? (clear ? "" : undefined),
  };
}

/** How many settings the section holds, for its summary line when closed. */
export function resourcesSet(state: ResourcesState): number {
  const fields = toResourceFields(state);
  return Object.values(fields).filter((value) => value !== undefined).length;
}

/** `maxRetries` as typed: blank (none) or a whole number 0…MAX_RETRIES. */
export function checkMaxRetries(text: string): FormError | null {
  const given = text.trim();
  if (!given || (WHOLE.test(given) && Number(given) <= MAX_RETRIES)) return null;
  return { field: "maxRetries", message: `'${given}' is not a whole number from 0 to ${MAX_RETRIES}` };
}

/** What an edit changed in the section, as update fields (an emptied one as ""); the rest is left out. */
export function changedResourceFields(before: ResourcesState, after: ResourcesState): MemorySettingsForm_Deserialize & { packages?: string } {
  const [was, now] = [toResourceFields(before, true), toResourceFields(after, true)];
  return Object.fromEntries(Object.entries(now).filter(([field, value]) => was[field as keyof typeof was] !== value));
}
