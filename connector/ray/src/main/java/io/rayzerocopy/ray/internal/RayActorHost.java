package io.rayzerocopy.ray.internal;

import io.rayzerocopy.spi.WorkerJvms;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;

/**
 * The Ray actor class that hosts one {@link RemoteFn}. Its constructor only keeps the serialized
 * function: an exception thrown by an actor constructor makes Ray's LOCAL mode call {@code
 * System.exit(-1)}, so the function is built by {@link #init()} (or the first call), where a
 * failure is an ordinary exception of that call. Use it through {@link RayFnActor}.
 */
public class RayActorHost {

    private final byte[] spec;
    private RemoteFn fn;
    private Throwable initFailure;
    private boolean closed;

    /** Keeps {@code spec}, a Java-serialized {@link RemoteFn}; never throws. */
    public RayActorHost(byte[] spec) {
        this.spec = spec;
    }

    /**
     * Builds the function if not built yet; returns true. Throws {@link IllegalStateException}
     * naming the cause if the bytes are not a {@link RemoteFn} or its deserialization throws; later
     * calls on this actor then fail with the same cause.
     */
    public boolean init() {
        function();
        return true;
    }

    /** Applies the hosted function to {@code input}, building it first if needed. */
    public byte[] call(byte[] input) throws Exception {
        return function().apply(input);
    }

    /** The id of the process this actor runs in (the driver's own in LOCAL mode). */
    public long pid() {
        return ProcessHandle.current().pid();
    }

    /**
     * Proportional set size of this actor's process in KiB, from /proc/self/smaps_rollup; -1 if
     * unavailable.
     */
    public long pssKb() {
        return WorkerJvms.selfPssKb();
    }

    /**
     * Closes the hosted function if it was built; true if it was, false if there was nothing to
     * close.
     */
    public boolean close() throws Exception {
        if (closed) {
            return false;
        }
        closed = true;
        if (fn == null) {
            return false;
        }
        RemoteFn built = fn;
        fn = null;
        built.close();
        return true;
    }

    private RemoteFn function() {
        if (closed) {
            throw new IllegalStateException("this actor's function was closed; start a new actor");
        }
        if (fn != null) {
            return fn;
        }
        if (initFailure != null) {
            throw new IllegalStateException(
                    "this actor's function failed to build earlier: "
                            + initFailure
                            + "; fix the function and start a new actor",
                    initFailure);
        }
        try {
            fn = deserialize(spec);
            return fn;
        } catch (Exception | LinkageError e) {
            initFailure = e;
            throw new IllegalStateException(
                    "building the actor's function failed: "
                            + e
                            + "; the spec must be a Java-serialized RemoteFn whose classes are on"
                            + " the worker's classpath (ray.job.code-search-path) and whose"
                            + " deserialization succeeds there",
                    e);
        }
    }

    private static RemoteFn deserialize(byte[] spec) throws IOException, ClassNotFoundException {
        if (spec == null || spec.length == 0) {
            throw new IllegalArgumentException("spec is " + (spec == null ? "null" : "empty"));
        }
        try (ObjectInputStream in = new ContextClassLoaderInput(new ByteArrayInputStream(spec))) {
            Object o = in.readObject();
            if (!(o instanceof RemoteFn)) {
                throw new IllegalArgumentException(
                        "spec holds a " + o.getClass().getName() + ", not a RemoteFn");
            }
            return (RemoteFn) o;
        }
    }

    /**
     * Resolves classes through the thread's context class loader, which sees Ray's code-search
     * path.
     */
    private static final class ContextClassLoaderInput extends ObjectInputStream {
        ContextClassLoaderInput(InputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc)
                throws IOException, ClassNotFoundException {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            if (loader != null) {
                try {
                    return Class.forName(desc.getName(), false, loader);
                } catch (ClassNotFoundException e) {
                    return super.resolveClass(desc);
                }
            }
            return super.resolveClass(desc);
        }
    }
}
