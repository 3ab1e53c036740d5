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
 * What interpreters cost a driver. Python and SQL nothing; Scala is started and warmed up
 * before the driver is ready only when the group's language is Scala or its
 * `sparkdeck.interpreters` names it. The figures: one agent started both ways on this
 * machine (local[2], shared 2 cores): READY after 33 s without Scala and 55 s with it (its
 * warm-up 25 s), JVM RSS 567 MiB against 958 MiB. The groups bench's figures are in
 * docs/ARCHITECTURE.md.
 */
export const INTERPRETER_COSTS =
  "Python and SQL come with every driver at no cost. Scala's interpreter starts with the driver only when the group's language is Scala (or sparkdeck.interpreters lists SCALA): about 20 s more to start and 400 MiB more memory (measured on a 2-core machine); otherwise the first Scala cell starts it, and waits that long.";
