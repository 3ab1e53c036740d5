package dev.sparkdeck.driver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The tasks of each job group's jobs, total and finished, counted from the listener bus as
 * they happen (Spark's status store may record a task's end only at a later event). The agent
 * forgets a group once its request ended; events the bus delivers after that may count a
 * group again, so at most MAX_GROUPS are kept (older ones are dropped).
 */
public final class RequestProgress extends SparkListener {
    private static final int MAX_GROUPS = 64;

    private final Map<String, AtomicLong[]> groups = new ConcurrentHashMap<>();
    private final Map<Integer, String> stageGroups = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart event) {
        String group = event.properties() == null ? null : event.properties().getProperty("spark.jobGroup.id");
        if (group == null) {
            return;
        }
        if (groups.size() >= MAX_GROUPS && !groups.containsKey(group)) {
            groups.keySet().forEach(this::forget);
        }
        AtomicLong[] counts = groups.computeIfAbsent(group, g -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
        for (StageInfo stage : CollectionConverters.asJava(event.stageInfos())) {
            if (stageGroups.putIfAbsent(stage.stageId(), group) == null) {
                counts[0].addAndGet(stage.numTasks());
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        String group = stageGroups.get(event.stageId());
        AtomicLong[] counts = group == null ? null : groups.get(group);
        if (counts != null && event.taskInfo() != null && event.taskInfo().successful()) {
            counts[1].incrementAndGet();
        }
    }

    /** Finished / total tasks of the group's jobs so far; 0 before its first job. */
    public double progress(String group) {
        AtomicLong[] counts = groups.get(group);
        long total = counts == null ? 0 : counts[0].get();
        return total == 0 ? 0.0 : Math.min(1.0, (double) counts[1].get() / total);
    }

    /** Drops what was counted for the group (its request ended). */
    public void forget(String group) {
        groups.remove(group);
        stageGroups.values().removeIf(group::equals);
    }
}
