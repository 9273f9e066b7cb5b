package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The public API of a module as text, one line per public or protected type and member, compared
 * with the listing checked in at {@code <module>/api/<name>.api} (as OkHttp keeps {@code
 * okhttp.api}): any change to the public surface is then a reviewed diff. Run the module's listing
 * test with {@code -Drzc.api.update=true} to write the listing after an intended change.
 */
public final class ApiListing {
    private ApiListing() {}

    /**
     * Fails, printing the difference, if the public types of {@code packages} (compiled into this
     * module's {@code target/classes}) differ from {@code api/<name>.api}.
     */
    public static void check(String name, String... packages) throws IOException {
        List<String> now = listing(packages);
        Path file = Paths.get("api", name + ".api");
        if (Boolean.getBoolean("rzc.api.update")) {
            Files.createDirectories(file.getParent());
            Files.write(file, now, StandardCharsets.UTF_8);
            return;
        }
        List<String> checkedIn =
                Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        if (!now.equals(checkedIn)) {
            TreeSet<String> added = new TreeSet<>(now);
            added.removeAll(checkedIn);
            TreeSet<String> removed = new TreeSet<>(checkedIn);
            removed.removeAll(now);
            StringBuilder diff = new StringBuilder();
            removed.forEach(l -> diff.append("\n- ").append(l));
            added.forEach(l -> diff.append("\n+ ").append(l));
            fail(
                    "the public API differs from "
                            + file.toAbsolutePath()
                            + ":"
                            + diff
                            + "\nIf the change is intended, review it and rerun this test with"
                            + " -Drzc.api.update=true to write the new listing.");
        }
    }

    static List<String> listing(String... packages) throws IOException {
        TreeSet<String> lines = new TreeSet<>();
        for (String pkg : packages) {
            for (Class<?> type : publicTypes(pkg)) {
                describe(type, lines);
            }
        }
        return new ArrayList<>(lines);
    }

    private static List<Class<?>> publicTypes(String pkg) throws IOException {
        Path dir = Paths.get("target", "classes").resolve(pkg.replace('.', '/'));
        List<Class<?>> types = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (!file.endsWith(".class") || file.equals("package-info.class")) {
                    continue;
                }
                Class<?> type = load(pkg + "." + file.substring(0, file.length() - 6));
                if (isVisible(type)) {
                    types.add(type);
                }
            }
        }
        return types;
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, ApiListing.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Public, or a protected member type, of types that are all visible outside the package. */
    private static boolean isVisible(Class<?> type) {
        if (type.isSynthetic() || type.isAnonymousClass() || type.isLocalClass()) {
            return false;
        }
        for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
            int m = t.getModifiers();
            if (!Modifier.isPublic(m) && !Modifier.isProtected(m)) {
                return false;
            }
        }
        return true;
    }

    private static void describe(Class<?> type, TreeSet<String> lines) {
        String name = type.getName();
        lines.add(name + " " + header(type));
        for (Constructor<?> c : type.getDeclaredConstructors()) {
            if (visible(c.getModifiers()) && !c.isSynthetic()) {
                lines.add(name + " " + c.toGenericString());
            }
        }
        for (Method m : type.getDeclaredMethods()) {
            if (visible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                lines.add(name + " " + m.toGenericString());
            }
        }
        for (Field f : type.getDeclaredFields()) {
            if (visible(f.getModifiers()) && !f.isSynthetic()) {
                lines.add(name + " " + f.toGenericString());
            }
        }
    }

    private static String header(Class<?> type) {
        StringBuilder h = new StringBuilder(type.toGenericString());
        if (type.getGenericSuperclass() != null && type.getSuperclass() != Object.class) {
            h.append(" extends ").append(type.getGenericSuperclass().getTypeName());
        }
        for (java.lang.reflect.Type i : type.getGenericInterfaces()) {
            h.append(" implements ").append(i.getTypeName());
        }
        return h.toString();
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }
}
