package io.rayzerocopy.internal.exec;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SLF4J provider of worker processes ({@code -Dslf4j.provider}): one line per event on stderr,
 * which the driver forwards with the actor's name, at INFO and above for our own loggers and WARN
 * and above for the others (ERROR for DJL's CUDA probe, harmless on CPU machines). A worker would
 * otherwise initialise whatever logging the driver's classpath holds; logback's XML configuration
 * alone took 130–230 ms of a 0.5–0.7 s worker start here. A worker given {@code
 * -Dslf4j.provider=...} of its own (a worker JVM option) uses that.
 */
public final class WorkerLogs implements SLF4JServiceProvider {
    private final ILoggerFactory loggers = new Loggers();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {}

    private static final class Loggers implements ILoggerFactory {
        private final Map<String, Logger> byName = new ConcurrentHashMap<>();

        @Override
        public Logger getLogger(String name) {
            return byName.computeIfAbsent(name, StderrLogger::new);
        }
    }

    private static final class StderrLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;

        /** DJL warns on every CPU-only machine that it finds no CUDA driver. */
        private static final String QUIET = "ai.djl.util.cuda";

        private final String shortName;
        private final int threshold;

        StderrLogger(String name) {
            this.name = name;
            this.shortName = name.substring(name.lastIndexOf('.') + 1);
            this.threshold =
                    (name.startsWith("io.rayzerocopy")
                                    ? Level.INFO
                                    : name.startsWith(QUIET) ? Level.ERROR : Level.WARN)
                            .toInt();
        }

        private boolean enabled(Level level) {
            return level.toInt() >= threshold;
        }

        @Override
        public boolean isTraceEnabled() {
            return enabled(Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return enabled(Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return enabled(Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return enabled(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return enabled(Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(
                Level level,
                Marker marker,
                String pattern,
                Object[] arguments,
                Throwable throwable) {
            PrintStream err = System.err;
            String message = MessageFormatter.basicArrayFormat(pattern, arguments);
            synchronized (err) {
                err.println(level + " " + shortName + " - " + message);
                if (throwable != null) {
                    throwable.printStackTrace(err);
                }
            }
        }
    }
}
