package dev.sparkdeck.driver;

import cloud.ilum.job.Job;
import org.apache.spark.sql.SparkSession;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs a {@link Job} for the Python driver agent: py4j hands over a java.util.Map, jobs
 * expect an immutable Scala Map and answer a Scala Option, neither of which is convenient
 * to build or unwrap through py4j.
 */
public final class JobRunner {
    private JobRunner() {}

    /** Instantiates {@code className} from {@code loader} (the session's jar class loader). */
    public static Job instantiate(String className, ClassLoader loader) throws ReflectiveOperationException {
        Class<?> cls = Class.forName(className, true, loader);
        if (!Job.class.isAssignableFrom(cls)) {
            throw new ClassCastException(className + " does not implement cloud.ilum.job.Job");
        }
        return (Job) cls.getDeclaredConstructor().newInstance();
    }

    /** Calls {@code job.run} and returns its result, or null for None. */
    public static String run(Job job, SparkSession session, java.util.Map<String, Object> config) {
        scala.collection.immutable.Map<String, Object> scalaConfig =
            scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(config));
        Option<String> result = job.run(session, scalaConfig);
        return result.isDefined() ? result.get() : null;
    }

    /** The full stack trace of a Java exception, as Java prints it. */
    public static String stackTrace(Throwable error) {
        java.io.StringWriter out = new java.io.StringWriter();
        error.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }
}
