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
 * What interpreters cost a driver (measured on branch `interp`, see docs/ARCHITECTURE.md):
 * Python and SQL nothing; Scala is started and warmed up before the driver is ready only when
 * the group's language is Scala or its `sparkdeck.interpreters` names it.
 */
export const INTERPRETER_COSTS =
  "Python and SQL come with every driver at no cost. Scala's interpreter starts with the driver only when the group's language is Scala (or sparkdeck.interpreters lists SCALA): it adds to the driver's start and memory; otherwise the first Scala cell starts it.";
