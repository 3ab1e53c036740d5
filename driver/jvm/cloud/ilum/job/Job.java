package cloud.ilum.job;

import org.apache.spark.sql.SparkSession;
import scala.Option;
import scala.collection.immutable.Map;

/**
 * The job-class contract of the Ilum platform, provided at run time so job classes
 * written for it run unchanged in Sparkdeck's interactive drivers. In Scala:
 * {@code def run(sparkSession: SparkSession, config: Map[String, Any]): Option[String]}.
 */
public interface Job {
    Option<String> run(SparkSession sparkSession, Map<String, Object> config);
}
