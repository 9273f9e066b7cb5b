package io.rayzerocopy.internal.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of a TorchScript method, read from the loaded module without running it.
 *
 * <p>DJL 0.36 has no call for a method's schema, but libtorch checks a call's arguments against the
 * schema before it runs anything, and its refusal of too many arguments ends with the schema, the
 * same text as Python's {@code str(module.forward.schema)}: {@code ... Declaration:
 * forward(__torch__.M self, Tensor x, Tensor? mask=None) -> ((Tensor, Tensor))}. Reading it costs a
 * few milliseconds (libtorch builds a backtrace): once per job, on the driver.
 */
public final class MethodSignature {
    /** One argument after {@code self}: name, type as the schema writes it, and a default. */
    public record Arg(String name, String type, boolean hasDefault) {
        /** Whether a tensor can be passed: {@code Tensor} or {@code Tensor?}. */
        public boolean takesTensor() {
            return type.equals("Tensor") || type.equals("Tensor?");
        }

        @Override
        public String toString() {
            return type + " " + name + (hasDefault ? "=..." : "");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(MethodSignature.class);
    private static final int TOO_MANY = 64;
    private static final String DECLARATION = "Declaration: ";

    private final String method;
    private final List<Arg> args;

    private MethodSignature(String method, List<Arg> args) {
        this.method = method;
        this.args = List.copyOf(args);
    }

    /**
     * The signature of {@code method} of {@code block}, or null if libtorch does not say it (its
     * refusal holds no declaration: the module has no such method, or a libtorch upgrade changed
     * the wording); the caller then does without the names.
     */
    public static MethodSignature read(PtSymbolBlock block, String method) {
        IValue[] args = new IValue[TOO_MANY];
        try {
            for (int i = 0; i < args.length; i++) {
                args[i] = IValue.from(0L);
            }
            IValueUtils.runMethod(block, method, args).close();
            LOG.warn(
                    "method '{}' accepted {} arguments: its signature is unknown",
                    method,
                    TOO_MANY);
            return null;
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            int at = message.lastIndexOf(DECLARATION);
            if (at < 0) {
                LOG.warn(
                        "cannot read the signature of method '{}' from libtorch: {}",
                        method,
                        ModelCall.cause(e));
                return null;
            }
            return parse(message.substring(at + DECLARATION.length()).lines().findFirst().get());
        } finally {
            for (IValue a : args) {
                if (a != null) {
                    a.close();
                }
            }
        }
    }

    /**
     * The signature of {@code method} of a TorchScript file given as bytes (a weight-free skeleton
     * of a few KB: loading it costs no copy of the weights), or null if libtorch does not say it.
     *
     * @throws IOException if the bytes cannot be written to a temporary file
     */
    public static MethodSignature ofFile(byte[] pt, String method) throws IOException {
        Path tmp = Files.createTempFile("rzc-signature", ".pt");
        try (Model probe = Model.newInstance("rzc-signature", Device.cpu(), Djl.engineName())) {
            Files.write(tmp, pt);
            return read(TorchTypes.loadForBinding(probe, tmp), method);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Parses a schema such as {@code forward(__torch__.M self, Tensor x, Tensor? m=None) -> T}. */
    static MethodSignature parse(String schema) {
        int open = schema.indexOf('(');
        int close = closing(schema, open);
        List<Arg> args = new ArrayList<>();
        for (String part : splitTopLevel(schema.substring(open + 1, close))) {
            String declared = part.strip();
            int eq = declared.indexOf('=');
            String typed = (eq < 0 ? declared : declared.substring(0, eq)).strip();
            int space = typed.lastIndexOf(' ');
            if (declared.equals("*") || space < 0) {
                continue;
            }
            String name = typed.substring(space + 1);
            if (!name.equals("self")) {
                args.add(new Arg(name, typed.substring(0, space).strip(), eq >= 0));
            }
        }
        return new MethodSignature(schema.substring(0, open).strip(), args);
    }

    /** The method's name. */
    public String method() {
        return method;
    }

    /** The arguments after {@code self}, in order. */
    public List<Arg> args() {
        return args;
    }

    /** E.g. {@code forward(x, mask)}, for messages. */
    @Override
    public String toString() {
        return method + "(" + String.join(", ", args.stream().map(Arg::name).toList()) + ")";
    }

    private static int closing(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[') {
                depth++;
            } else if ((c == ')' || c == ']') && --depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("not a method schema: " + s);
    }

    private static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(s.substring(start));
        return parts;
    }
}
