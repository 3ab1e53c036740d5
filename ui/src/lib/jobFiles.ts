// Where a dropped or picked file goes in the submit form, decided by its extension.
import type { Language } from "./bindings";

export type JobFiles = { jars: string[]; pyFiles: string[]; files: string[] };
export type FileKind = keyof JobFiles;

export const fileName = (path: string) => path.split(/[\\/]/).pop() || path;

const extension = (path: string) => {
  const name = fileName(path);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
};

/** `.jar` → jars, `.py` → Python files, anything else → other files. */
export function kindOf(path: string): FileKind {
  const ext = extension(path);
  return ext === "jar" ? "jars" : ext === "py" ? "pyFiles" : "files";
}

/** The lists with `paths` appended where they belong; a path already listed is not repeated. */
export function addPaths(lists: JobFiles, paths: string[]): JobFiles {
  const next: JobFiles = { jars: [...lists.jars], pyFiles: [...lists.pyFiles], files: [...lists.files] };
  for (const path of paths) {
    const list = next[kindOf(path)];
    if (!list.includes(path)) list.push(path);
  }
  return next;
}

/**
 * The language that fits the lists after a drop: Python files without jars make a Python
 * job, jars without Python files a JVM job; with both or neither the user's choice stands.
 */
export function languageFor(language: Language, lists: JobFiles): Language {
  if (lists.pyFiles.length && !lists.jars.length) return "PYTHON";
  if (lists.jars.length && !lists.pyFiles.length) return "SCALA";
  return language;
}

/** The script or jar a drop on the jobs page submits, if it holds one. */
export const mainFile = (paths: string[]) => paths.find((path) => kindOf(path) !== "files");

/** A job name from a file: its name without the extension ("etl_daily.py" → "etl_daily"). */
export function nameFrom(path: string): string {
  const name = fileName(path);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(0, dot) : name;
}

/** What each list's "Add…" dialog offers. An empty list means any file. */
export const PICK_EXTENSIONS: Record<FileKind, string[]> = {
  jars: ["jar"],
  pyFiles: ["py", "zip", "egg"],
  files: [],
};
