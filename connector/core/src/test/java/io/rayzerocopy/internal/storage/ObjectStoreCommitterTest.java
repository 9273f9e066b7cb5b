package io.rayzerocopy.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * S3A's magic committer against a real S3 API (S3Proxy): task files stay invisible until the job
 * commits, a resumed job commits the tasks a killed run committed, and an aborted job leaves
 * nothing.
 */
class ObjectStoreCommitterTest {
    @TempDir static java.nio.file.Path dir;
    private static S3Server s3;
    private static String bucket;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"));
        Storage.configure(s3.settings());
        bucket = s3.createBucket("commit");
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void filesAppearOnlyWhenTheJobCommitsAndAResumedJobCommitsEarlierTasks() throws Exception {
        Path out = new Path(bucket + "/out");
        String uuid = UUID.randomUUID().toString();
        ObjectStoreCommitter first = ObjectStoreCommitter.start(out, uuid);
        write(first.workPath(0), "part-0.txt", "zero");
        first.commitTask(0);
        write(first.workPath(1), "part-1.txt", "lost");
        assertEquals(List.of(), visible(out), "nothing is visible before the job commits");

        ObjectStoreCommitter resumed = ObjectStoreCommitter.resume(out, uuid);
        resumed.abortTask(1);
        write(resumed.workPath(1), "part-1.txt", "one");
        resumed.commitTask(1);
        assertEquals(List.of(), visible(out));
        resumed.commitJob();

        assertEquals(List.of("part-0.txt", "part-1.txt"), visible(out));
        assertEquals("zero", read(new Path(out, "part-0.txt")));
        assertEquals("one", read(new Path(out, "part-1.txt")));
    }

    @Test
    void anAbortedJobLeavesNothing() throws Exception {
        Path out = new Path(bucket + "/aborted");
        ObjectStoreCommitter job = ObjectStoreCommitter.start(out, UUID.randomUUID().toString());
        write(job.workPath(0), "part-0.txt", "zero");
        job.commitTask(0);
        job.abortJob();
        assertEquals(List.of(), visible(out));
    }

    private static void write(Path dir, String name, String text) throws IOException {
        FileSystem fs = Storage.fileSystem(dir.toString());
        try (FSDataOutputStream out = fs.create(new Path(dir, name), false)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String read(Path file) throws IOException {
        try (InputStream in = Storage.fileSystem(file.toString()).open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Files directly in {@code dir} that readers see (no hidden or {@code _} names). */
    private static List<String> visible(Path dir) throws IOException {
        FileSystem fs = Storage.fileSystem(dir.toString());
        List<String> names = new ArrayList<>();
        if (!fs.exists(dir)) {
            return names;
        }
        for (FileStatus status : fs.listStatus(dir)) {
            String name = status.getPath().getName();
            if (!name.startsWith("_") && !name.startsWith(".")) {
                names.add(name);
            }
        }
        names.sort(null);
        return names;
    }
}
