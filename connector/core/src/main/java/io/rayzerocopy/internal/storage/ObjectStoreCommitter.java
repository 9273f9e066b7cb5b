package io.rayzerocopy.internal.storage;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.JobID;
import org.apache.hadoop.mapreduce.JobStatus;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.TaskID;
import org.apache.hadoop.mapreduce.TaskType;
import org.apache.hadoop.mapreduce.lib.output.PathOutputCommitter;
import org.apache.hadoop.mapreduce.lib.output.PathOutputCommitterFactory;
import org.apache.hadoop.mapreduce.task.JobContextImpl;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Hadoop's output committer protocol for a job's output on an object store, whose renames copy
 * every byte: on {@code s3a://}, S3A's magic committer. Each split is a task (its id is the
 * split's index): its files are written under {@link #workPath}, where S3A turns each into a
 * pending multipart upload to its final name in the output, invisible until completed; {@link
 * #commitTask} records the task's uploads; {@link #commitJob} completes every recorded upload;
 * {@link #abortJob} aborts them. Nothing is renamed.
 *
 * <p>A job is named by a UUID that a resumed run reuses, so it commits the uploads of the tasks
 * the killed run committed.
 */
public final class ObjectStoreCommitter {
    /**
     * How the directories the S3A magic committer keeps under an output start: {@code
     * __magic_job-<uuid>/}, holding what a job's pending uploads are until it commits or aborts.
     */
    public static final String MAGIC_PREFIX = "__magic_job-";

    /** The S3A capability that says whether magic paths become pending uploads. */
    private static final String MAGIC_CAPABILITY = "fs.s3a.capability.magic.committer";

    /** Settings the protocol needs, unless the user's configuration sets them. */
    private static final Map<String, String> DEFAULTS =
            Map.of(
                    "mapreduce.outputcommitter.factory.scheme.s3a",
                            "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory",
                    "fs.s3a.committer.name", "magic",
                    "fs.s3a.committer.threads", "4");

    private final Path output;
    private final Configuration conf;
    private final JobID job;
    private final PathOutputCommitterFactory factory;
    private final Map<Integer, Task> tasks = new HashMap<>();

    /** Whether this continues a job a killed or failed run started. */
    private final boolean resumed;

    private record Task(TaskAttemptContext context, PathOutputCommitter committer) {}

    private ObjectStoreCommitter(Path output, String uuid, boolean resumed) throws IOException {
        this.output = output;
        this.resumed = resumed;
        this.conf = Storage.conf();
        DEFAULTS.forEach(
                (key, value) -> {
                    if (!Storage.setBySite(conf, key)) {
                        conf.set(key, value);
                    }
                });
        // The output is committed by our code with our _SUCCESS manifest, written last.
        conf.setBoolean("mapreduce.fileoutputcommitter.marksuccessfuljobs", false);
        conf.set("fs.s3a.committer.uuid", uuid);
        this.job = new JobID("rzc", 1);
        this.factory = PathOutputCommitterFactory.getCommitterFactory(output, conf);
    }

    /**
     * Whether outputs on {@code tree} need this protocol: its renames are not atomic.
     */
    public static boolean isNeeded(Tree tree) {
        return !tree.renamesAtomically();
    }

    /**
     * Checks before a job that an output at {@code output} can be committed without renames.
     *
     * @throws IllegalArgumentException naming the output and the fix if not
     */
    public static void check(Path output, String name) {
        String scheme = output.toUri().getScheme();
        boolean magic;
        try {
            FileSystem fs = Storage.fileSystem(output.toString());
            magic = scheme.equals("s3a") && fs.hasPathCapability(output, MAGIC_CAPABILITY);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot reach " + name + ": " + Storage.describe(e), e);
        }
        if (!magic) {
            throw new IllegalArgumentException(
                    "cannot commit output to "
                            + name
                            + ": its file system ("
                            + scheme
                            + "://) renames by copying and "
                            + (scheme.equals("s3a")
                                    ? "S3A's magic committer is disabled; set"
                                            + " fs.s3a.committer.magic.enabled=true"
                                    : "only s3a:// has a committer here yet; write to a local"
                                            + " path, hdfs:// or s3a://"));
        }
    }

    /** Starts a new job committing to {@code output}, named {@code uuid}. */
    public static ObjectStoreCommitter start(Path output, String uuid) throws IOException {
        ObjectStoreCommitter committer = new ObjectStoreCommitter(output, uuid, false);
        committer.jobCommitter().setupJob(committer.jobContext());
        return committer;
    }

    /** The job {@code uuid} started earlier (by a run that was killed or failed), to continue. */
    public static ObjectStoreCommitter resume(Path output, String uuid) throws IOException {
        return new ObjectStoreCommitter(output, uuid, true);
    }

    /** Where task {@code task} writes its files: each appears at the same relative path. */
    public synchronized Path workPath(int task) throws IOException {
        Task existing = tasks.get(task);
        if (existing == null) {
            TaskAttemptContext context = taskContext(task);
            PathOutputCommitter committer = factory.createOutputCommitter(output, context);
            if (resumed) {
                // The killed run may have left uncommitted uploads of this task: drop them.
                committer.abortTask(context);
            }
            committer.setupTask(context);
            existing = new Task(context, committer);
            tasks.put(task, existing);
        }
        return existing.committer().getWorkPath();
    }

    /** Records the files of task {@code task} for {@link #commitJob}. */
    public synchronized void commitTask(int task) throws IOException {
        Task done = tasks.remove(task);
        if (done != null) {
            done.committer().commitTask(done.context());
        }
    }

    /** Drops what task {@code task} wrote, committed or not: a resumed run writes it again. */
    public synchronized void abortTask(int task) throws IOException {
        Task aborted = tasks.remove(task);
        TaskAttemptContext context = aborted != null ? aborted.context() : taskContext(task);
        PathOutputCommitter committer =
                aborted != null
                        ? aborted.committer()
                        : factory.createOutputCommitter(output, context);
        committer.abortTask(context);
    }

    /** Makes every committed task's files visible at their final names. */
    public void commitJob() throws IOException {
        jobCommitter().commitJob(jobContext());
    }

    /** Aborts every pending upload of the job and deletes what it kept about them. */
    public void abortJob() throws IOException {
        jobCommitter().abortJob(jobContext(), JobStatus.State.FAILED);
    }

    private PathOutputCommitter jobCommitter() throws IOException {
        return factory.createOutputCommitter(output, taskContext(0));
    }

    private JobContext jobContext() {
        return new JobContextImpl(conf, job);
    }

    private TaskAttemptContext taskContext(int task) {
        return new TaskAttemptContextImpl(
                conf, new TaskAttemptID(new TaskID(job, TaskType.MAP, task), 0));
    }
}
