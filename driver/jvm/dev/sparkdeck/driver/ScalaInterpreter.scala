package dev.sparkdeck.driver

import java.io.{ByteArrayOutputStream, File, PrintStream, PrintWriter}
import java.net.URLClassLoader
import java.nio.charset.StandardCharsets

import scala.collection.mutable.ArrayBuffer
import scala.tools.nsc.Settings
import scala.tools.nsc.interpreter.{IMain, Results}
import scala.tools.nsc.interpreter.shell.{ReplCompletion, ReplReporterImpl}
import scala.reflect.internal.util.{CodeAction, Position}

import org.apache.spark.sql.{Dataset, SparkSession}

/** What one statement did, read field by field by the Python agent through py4j. */
final class ScalaOutcome(
    /** "ok", "compile" (the code did not compile), "incomplete" or "runtime" (it threw). */
    val status: String,
    /** Printed output and the REPL's rendering of the values defined (`res0: Long = 1000`). */
    val output: String,
    /** The compiler's first error, or the exception's `toString`. */
    val message: String,
    /** The exception a runtime failure threw (null otherwise). */
    val error: Throwable,
    /** The statement's value when it ended with an expression whose value is a Dataset. */
    val dataset: Dataset[_])

/** Records the compiler's errors of the running statement as well as printing them. */
private final class RecordingReporter(settings: Settings, out: PrintWriter) extends ReplReporterImpl(settings, out) {
  val errors = ArrayBuffer.empty[String]

  override def doReport(pos: Position, msg: String, severity: Severity, actions: List[CodeAction]): Unit = {
    if (severity == ERROR) errors += msg
    super.doReport(pos, msg, severity, actions)
  }
}

/**
 * Spark's own Scala interpreter (the one spark-shell runs) over the agent's SparkSession:
 * `spark` and `sc` bound, definitions kept between statements. Classes it compiles are
 * written to `classDir`, the directory the SparkContext serves to executors as
 * `spark.repl.class.uri`, so closures and case classes defined here run in tasks.
 * Not thread safe: the agent runs one request at a time.
 */
final class ScalaInterpreter(spark: SparkSession, classDir: String) {
  private val buffer = new ByteArrayOutputStream()
  private val writer = new PrintWriter(buffer, true)
  private val printStream = new PrintStream(buffer, true, StandardCharsets.UTF_8)
  private val settings = new Settings()
  // Deprecation warnings are silenced: notebook idioms such as an auto-applied `collect`
  // would print one into the statement's output, which clients read as its result.
  settings.processArguments(List("-Yrepl-class-based", "-Yrepl-outdir", classDir, "-Wconf:cat=deprecation:s"), processAll = true)
  settings.usejavacp.value = true
  // Jars added with --jars (the job's own and the agent's) are on the session's loader,
  // not on java.class.path: give them to the compiler too.
  private val parent = Thread.currentThread().getContextClassLoader
  settings.classpath.value = userJars(parent).mkString(File.pathSeparator)
  private val reporter = new RecordingReporter(settings, writer)
  private val intp = new IMain(settings, Some(parent), settings, reporter)
  // The thread running a statement, for `interrupt`.
  @volatile private var running: Thread = null

  locally {
    intp.initializeCompiler()
    reporter.withoutPrintingResults {
      intp.bind("spark", "org.apache.spark.sql.SparkSession", spark, List("@transient"))
      intp.bind("sc", "org.apache.spark.SparkContext", spark.sparkContext, List("@transient"))
      intp.interpret("import org.apache.spark.SparkContext._, spark.implicits._, spark.sql, org.apache.spark.sql.functions._")
    }
    buffer.reset()
  }

  /** Runs one statement (or several lines of them) as the REPL would. */
  def execute(code: String): ScalaOutcome = {
    reporter.errors.clear()
    buffer.reset()
    val before = intp.mostRecentVar
    running = Thread.currentThread()
    val result =
      try Console.withOut(printStream) { Console.withErr(printStream) { intp.interpret(code) } }
      finally {
        running = null
        Thread.interrupted() // an interrupt the statement did not see must not hit the next one
      }
    writer.flush()
    val output = buffer.toString(StandardCharsets.UTF_8)
    buffer.reset()
    result match {
      case Results.Success =>
        new ScalaOutcome("ok", output, null, null, lastDataset(before))
      case Results.Incomplete =>
        new ScalaOutcome("incomplete", output, "error: incomplete input (an unclosed bracket, string or comment?)", null, null)
      case _ if reporter.errors.nonEmpty =>
        new ScalaOutcome("compile", output, "error: " + reporter.errors.head, null, null)
      case _ =>
        val thrown = lastException()
        val message = if (thrown != null) thrown.toString else output.linesIterator.find(_.trim.nonEmpty).getOrElse("error")
        new ScalaOutcome("runtime", output, message, thrown, null)
    }
  }

  /** Runs `code` as a statement would run, without defining a name (a warm-up statement):
   * compiled, run, its value rendered and looked up as `execute` does; false if it failed. */
  def warmUp(code: String): Boolean = {
    val result = Console.withOut(printStream) { Console.withErr(printStream) { intp.interpret("val _ = {\n" + code + "\n}") } }
    // The first look-up of a value starts the runtime reflection `lastDataset` uses.
    intp.valueOfTerm("spark")
    buffer.reset()
    reporter.errors.clear()
    result == Results.Success
  }

  /** Candidates for completing `code` at `cursor`, as the REPL's tab completion offers them. */
  def complete(code: String, cursor: Int): Array[String] = {
    val found = new ReplCompletion(intp).complete(code, cursor, filter = true)
    found.candidates.map(_.name).filter(_.nonEmpty).distinct.toArray
  }

  /** Interrupts the running statement (a cancel of code that runs no Spark job: it ends at
   * its next sleep, wait or interruptible I/O). */
  def interrupt(): Unit = {
    val thread = running
    if (thread != null) thread.interrupt()
  }

  def close(): Unit = intp.close()

  /** The value of a statement that ended with an expression (`resN`) when it is a Dataset. */
  private def lastDataset(before: String): Dataset[_] = {
    val name = intp.mostRecentVar
    if (name == before || !name.matches("res\\d+") || !declaredDataset(name)) return null
    intp.valueOfTerm(name) match {
      case Some(ds: Dataset[_]) => ds
      case _ => null
    }
  }

  private lazy val datasetClass = intp.global.rootMirror.getClassIfDefined("org.apache.spark.sql.Dataset")

  /** Whether the compiler typed `name` as a Dataset: a look-up of its value is a reflective
   * call that cost about a third of a short statement, and only a Dataset's is wanted. */
  private def declaredDataset(name: String): Boolean =
    intp.global.exitingTyper(intp.typeOfTerm(name).finalResultType.dealiasWiden.baseClasses.contains(datasetClass))

  /** The REPL binds what a failed statement threw as `lastException`. */
  private def lastException(): Throwable = intp.valueOfTerm("lastException") match {
    case Some(t: Throwable) => t
    case _ => null
  }

  private def userJars(loader: ClassLoader): Seq[String] = {
    val jars = ArrayBuffer.empty[String]
    var current = loader
    while (current != null) {
      current match {
        case urls: URLClassLoader =>
          jars ++= urls.getURLs.filter(_.getProtocol == "file").map(u => new File(u.toURI).getPath).filter(new File(_).isFile)
        case _ =>
      }
      current = current.getParent
    }
    jars.distinct.toSeq
  }
}
