package io.rayzerocopy.cli;

import io.rayzerocopy.Progress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Shows a job's progress: a one-line bar redrawn on a terminal (rows, rows/s, ETA, errored rows),
 * or a log line every few seconds when the output is not a terminal.
 */
final class ProgressPrinter implements Consumer<Progress> {
    private static final Logger LOG = LoggerFactory.getLogger("rzc");
    private final boolean terminal = System.console() != null;
    private final PrintStream err = System.err;
    private long lastNanos;
    private boolean drawn;

    @Override
    public synchronized void accept(Progress p) {
        long now = System.nanoTime();
        if (now - lastNanos < (terminal ? 200_000_000L : 5_000_000_000L)) {
            return;
        }
        lastNanos = now;
        String line = describe(p);
        if (terminal) {
            err.print("\r" + line + "   ");
            err.flush();
            drawn = true;
        } else {
            LOG.info(line);
        }
    }

    /** Ends the bar's line (if one was drawn). */
    synchronized void done() {
        if (drawn) {
            err.println();
        }
    }

    static String describe(Progress p) {
        StringBuilder sb = new StringBuilder();
        if (p.fractionDone().isPresent()) {
            double f = p.fractionDone().getAsDouble();
            int width = 24;
            int filled = (int) Math.round(f * width);
            sb.append('[')
                    .append("#".repeat(filled))
                    .append(" ".repeat(width - filled))
                    .append("] ");
            sb.append(
                    String.format(
                            "%3.0f%% %,d/%,d input rows, %,d written",
                            f * 100, p.inputRows(), p.totalRows().getAsLong(), p.rows()));
        } else {
            sb.append(String.format("%,d rows", p.rows()));
        }
        sb.append(String.format(", %,.0f rows/s", p.rowsPerSecond()));
        Duration eta = p.eta();
        if (eta != null) {
            sb.append(String.format(", ETA %ds", Math.round(eta.toMillis() / 1000.0)));
        }
        if (p.erroredRows() > 0) {
            sb.append(String.format(", %,d errored", p.erroredRows()));
        }
        return sb.toString();
    }
}
