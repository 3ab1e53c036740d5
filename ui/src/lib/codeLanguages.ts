// The console's interpreters. One driver runs all three on one SparkSession, so a temp view
// made in Scala is visible to SQL and Python; a cell names its own (the request's `language`).
import type { Language } from "./bindings";

export const CODE_LANGUAGES: { value: Language; label: string; hint: string }[] = [
  {
    value: "SCALA",
    label: "Scala",
    hint: "Spark's Scala interpreter: spark and sc are defined, and definitions stay between cells.",
  },
  {
    value: "PYTHON",
    label: "Python",
    hint: "PySpark: spark and sc are defined. %json, %table and %matplot show a value as JSON, a table or a plot.",
  },
  { value: "SQL", label: "SQL", hint: "Spark SQL, one statement a cell: a query's rows come back as a table." },
];

export const codeLanguageLabel = (language: Language) => CODE_LANGUAGES.find((l) => l.value === language)?.label ?? language;

/**
 * What interpreters cost a driver, from the groups bench's figures in docs/ARCHITECTURE.md
 * (one run, 2 cores, local[2]): Python and SQL nothing; a Scala group READY 2.5 s later
 * (11.6 s on a loaded machine) with 164 MiB more held; without the warm-up the first Scala
 * request starts the interpreter (5–7 s).
 */
export const INTERPRETER_COSTS =
  "Python and SQL come with every driver at no cost. Scala's interpreter starts with the driver only when the group's language is Scala (or sparkdeck.interpreters lists SCALA): about 3 s more to start (up to 12 s on a busy machine) and 160 MiB more memory; otherwise the first Scala cell starts it, 5–7 s.";
