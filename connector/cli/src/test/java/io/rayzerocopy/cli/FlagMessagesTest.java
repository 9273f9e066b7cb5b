package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;

import io.rayzerocopy.internal.data.SettingNames;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Log lines of {@code rzc} (its logback configuration) name flags, not library settings. */
class FlagMessagesTest {
    @Test
    void aHintInTheLogNamesTheFlag() throws Exception {
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(
                    FlagMessagesTest.class.getResource("/io/rayzerocopy/cli/logback-cli.xml"));
            context.getLogger("io.rayzerocopy.internal.data.StagingArea")
                    .warn(
                            "kept {} with {} committed splits: run the job again with {} to"
                                    + " continue from there",
                            "/out/.x.rzc-tmp-1",
                            3,
                            SettingNames.RESUME);
        } finally {
            context.stop();
            System.setErr(savedErr);
        }
        String log = err.toString(StandardCharsets.UTF_8);
        assertTrue(
                log.contains(
                        "WARN  StagingArea - kept /out/.x.rzc-tmp-1 with 3 committed splits: run"
                                + " the job again with --resume to continue from there"),
                log);
    }
}
