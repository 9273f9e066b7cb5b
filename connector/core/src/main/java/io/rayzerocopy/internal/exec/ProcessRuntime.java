package io.rayzerocopy.internal.exec;

import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.spi.ActorDiedException;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.RuntimeProvider;
import io.rayzerocopy.spi.RuntimeSettings;

import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Actors in worker JVMs on this machine, started with this JVM's classpath and flags. Batches go to
 * a worker and back through shared memory ({@link BatchSlots}): the driver copies a batch's Arrow
 * buffers once into a slot both processes map, the worker reads them in place and writes its result
 * into another slot, which the driver reads in place; only small frames cross the Unix domain
 * socket. Each worker maps the same weight store, so N workers hold one copy of the weights (the
 * cross-process zero-copy case). Workers exit when the driver does, even when it is killed with
 * SIGKILL (their socket closes), and report their own PSS. A worker that dies fails its calls with
 * {@link ActorDiedException}. Its parts: {@link WorkerLauncher} starts workers, {@link
 * WorkerSpares} keeps those started ahead, {@link WorkerClient} speaks {@link WorkerProtocol} with
 * one.
 */
public final class ProcessRuntime implements ActorRuntime {
    /** The {@code processes} runtime. */
    public static final class Provider implements RuntimeProvider {
        @Override
        public String name() {
            return RuntimeNames.PROCESSES;
        }

        @Override
        public ActorRuntime create(RuntimeSettings settings, BufferAllocator allocator) {
            return new ProcessRuntime(
                    settings.threadsPerActor(), settings.workerJvmOptions(), 120_000);
        }

        /**
         * Starts the job's first workers now, so that their JVMs boot while the driver checks the
         * input and opens its files; the job's actors then claim them.
         */
        @Override
        public Runnable prepare(RuntimeSettings settings, int actors) {
            List<String> args =
                    WorkerLauncher.jvmArgs(
                            settings.threadsPerActor(), settings.workerJvmOptions());
            WorkerSpares.prestart(args, actors);
            return () -> WorkerSpares.discard(args);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ProcessRuntime.class);

    private final List<String> jvmArgs;
    private final long startTimeoutMillis;
    private final List<WorkerClient> actors = new ArrayList<>();

    /**
     * @param threadsPerActor torch intra-op threads of each worker (their CPUs)
     * @param workerJvmOptions JVM options of each worker after ours, so they win (e.g. {@code
     *     -Xmx2g})
     * @param startTimeoutMillis how long a worker may take to start and construct its actor
     */
    public ProcessRuntime(
            int threadsPerActor, List<String> workerJvmOptions, long startTimeoutMillis) {
        if (threadsPerActor < 1 || startTimeoutMillis < 1) {
            throw new IllegalArgumentException(
                    "threadsPerActor and startTimeoutMillis must be >= 1; got "
                            + threadsPerActor
                            + ", "
                            + startTimeoutMillis);
        }
        this.jvmArgs = WorkerLauncher.jvmArgs(threadsPerActor, workerJvmOptions);
        this.startTimeoutMillis = startTimeoutMillis;
    }

    /** One torch thread per worker, our default JVM options, two minutes to start. */
    public ProcessRuntime() {
        this(1, List.of(), 120_000);
    }

    @Override
    public synchronized ActorHandle start(ActorSpec spec, String actorName) {
        Objects.requireNonNull(spec, "spec");
        WorkerLauncher.Spawned worker = WorkerSpares.take(jvmArgs);
        WorkerClient actor =
                new WorkerClient(
                        spec,
                        actorName,
                        worker != null ? worker : WorkerLauncher.start(jvmArgs),
                        startTimeoutMillis);
        synchronized (actors) {
            actors.add(actor);
        }
        return actor;
    }

    /** PSS in kB of every live worker (each reads its own /proc/self/smaps_rollup). */
    public List<Long> workerPssKb() {
        List<CompletableFuture<Long>> all = new ArrayList<>();
        synchronized (actors) {
            for (WorkerClient a : actors) {
                if (a.alive()) {
                    all.add(a.pssKb());
                }
            }
        }
        List<Long> out = new ArrayList<>();
        for (CompletableFuture<Long> f : all) {
            out.add(f.orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> -1L).join());
        }
        return out;
    }

    /**
     * Removes the shared-memory batch directories ({@code /dev/shm/rzc-batches-*}) that this
     * user's drivers killed outright left; returns them. A new worker's start does it too.
     */
    public static List<Path> removeDeadBatchDirectories() {
        return BatchSlots.sweep();
    }

    /**
     * The worker processes of this JVM, whoever started them: its descendants but the fork server
     * (the workers it forks are its children, not this JVM's).
     */
    public static Set<Long> workerProcesses() {
        OptionalLong server = ZygoteLauncher.serverPid();
        return ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .map(ProcessHandle::pid)
                .filter(pid -> server.isEmpty() || pid != server.getAsLong())
                .collect(Collectors.toSet());
    }

    /** Process ids of the live workers. */
    public List<Long> workerPids() {
        List<Long> pids = new ArrayList<>();
        synchronized (actors) {
            for (WorkerClient a : actors) {
                if (a.alive()) {
                    pids.add(a.pid());
                }
            }
        }
        return pids;
    }

    @Override
    public void close() {
        List<Long> pss = workerPssKb();
        if (!pss.isEmpty()) {
            long total = pss.stream().mapToLong(Long::longValue).filter(kb -> kb > 0).sum();
            LOG.info(
                    "{} worker processes at the end of the job: PSS {} MB in all ({} MB each on"
                            + " average; the weight store's pages are counted once among them)",
                    pss.size(),
                    total >> 10,
                    (total / pss.size()) >> 10);
        }
        ActorRuntime.stopAll(actors, 60);
        WorkerSpares.discard(jvmArgs);
    }
}
