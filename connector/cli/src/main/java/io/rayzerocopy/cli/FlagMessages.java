package io.rayzerocopy.cli;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log message with the library's setting names replaced by the CLI's flags ({@code
 * ParquetWriteOptions.resume(true)} becomes {@code --resume}), as the error line does: a hint in
 * the log names what an {@code rzc} user can type. Used as {@code %flagmsg} in the CLI's logback
 * configuration.
 */
public final class FlagMessages extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return JobOptions.withFlags(super.convert(event));
    }
}
