package io.rayzerocopy.internal.exec;

import java.util.concurrent.CompletableFuture;

/**
 * A worker JVM's process: a child of this JVM, or of the fork server ({@link ZygoteLauncher}).
 */
interface WorkerProcess {
    long pid();

    boolean isAlive();

    /** Kills it (SIGKILL). */
    void kill();

    /** Its exit code once it has exited (128 + the signal if killed; -1 if unknown). */
    CompletableFuture<Integer> exitCode();

    /** A worker started by this JVM itself. */
    record Child(Process process) implements WorkerProcess {
        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public void kill() {
            process.destroyForcibly();
        }

        @Override
        public CompletableFuture<Integer> exitCode() {
            return process.onExit().thenApply(Process::exitValue);
        }
    }

    /** A worker the fork server started. */
    record Forked(ZygoteLauncher.Child child) implements WorkerProcess {
        @Override
        public long pid() {
            return child.pid();
        }

        @Override
        public boolean isAlive() {
            return !child.exit().isDone() && ProcessHandle.of(child.pid()).isPresent();
        }

        @Override
        public void kill() {
            ProcessHandle.of(child.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }

        @Override
        public CompletableFuture<Integer> exitCode() {
            return child.exit();
        }
    }
}
