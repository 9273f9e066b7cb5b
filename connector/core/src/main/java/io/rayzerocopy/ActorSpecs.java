package io.rayzerocopy;

import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.BatchProcessor;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The {@link ActorSpec}s behind the {@code mapBatches} overloads. */
final class ActorSpecs {
    private ActorSpecs() {}

    /** {@code factory.create(argument)}, e.g. {@code InferenceActor::new} with a wrapper. */
    static <C> ActorSpec factory(ActorFactory<C> factory, C argument) {
        checkSerializable(argument, "the argument of " + describe(factory));
        return new FactorySpec<>(describe(factory), factory, argument);
    }

    /** The public constructor of {@code type} that accepts {@code arguments}. */
    static ActorSpec constructor(Class<? extends BatchFn> type, Object[] arguments) {
        for (int i = 0; i < arguments.length; i++) {
            checkSerializable(arguments[i], "constructor argument " + i + " of " + type.getName());
        }
        findConstructor(type, arguments);
        return new ConstructorSpec(type, arguments.clone());
    }

    /** One stateless function shared by all actors. */
    static ActorSpec shared(BatchFn fn) {
        return new SharedSpec(describe(fn), fn);
    }

    private record FactorySpec<C>(String name, ActorFactory<C> factory, C argument)
            implements ActorSpec {
        @Override
        public BatchProcessor create() throws Exception {
            return FnProcessor.construct(() -> factory.create(argument), name);
        }
    }

    private static final class ConstructorSpec implements ActorSpec {
        private static final long serialVersionUID = 1L;
        private final Class<? extends BatchFn> type;
        private final Object[] arguments;

        ConstructorSpec(Class<? extends BatchFn> type, Object[] arguments) {
            this.type = type;
            this.arguments = arguments;
        }

        @Override
        public String name() {
            return type.getSimpleName();
        }

        @Override
        public BatchProcessor create() throws Exception {
            return FnProcessor.construct(
                    () -> {
                        try {
                            return findConstructor(type, arguments).newInstance(arguments);
                        } catch (InvocationTargetException e) {
                            throw e.getCause() instanceof Exception cause ? cause : e;
                        }
                    },
                    name());
        }
    }

    /** Serializable only if the function is; in-JVM runtimes never serialize it. */
    private static final class SharedSpec implements ActorSpec {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final BatchFn fn;

        SharedSpec(String name, BatchFn fn) {
            this.name = name;
            this.fn = fn;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public BatchProcessor create() {
            return FnProcessor.shared(fn, name);
        }

        private void writeObject(ObjectOutputStream out) throws IOException {
            checkSerializable(fn, "the function " + name);
            out.defaultWriteObject();
        }
    }

    @SuppressWarnings("unchecked")
    private static Constructor<? extends BatchFn> findConstructor(
            Class<? extends BatchFn> type, Object[] arguments) {
        List<Constructor<?>> matches = new ArrayList<>();
        for (Constructor<?> constructor : type.getConstructors()) {
            Class<?>[] parameters = constructor.getParameterTypes();
            if (parameters.length == arguments.length && accepts(parameters, arguments)) {
                matches.add(constructor);
            }
        }
        if (matches.size() != 1) {
            throw new IllegalArgumentException(
                    (matches.isEmpty() ? "no" : "more than one")
                            + " public constructor of "
                            + type.getName()
                            + " accepts arguments "
                            + Arrays.stream(arguments)
                                    .map(a -> a == null ? "null" : a.getClass().getSimpleName())
                                    .toList()
                            + "; its public constructors are "
                            + Arrays.toString(type.getConstructors()));
        }
        return (Constructor<? extends BatchFn>) matches.get(0);
    }

    private static boolean accepts(Class<?>[] parameters, Object[] arguments) {
        for (int i = 0; i < parameters.length; i++) {
            Class<?> p = parameters[i];
            Object a = arguments[i];
            if (a == null ? p.isPrimitive() : !box(p).isInstance(a)) {
                return false;
            }
        }
        return true;
    }

    private static Class<?> box(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        return switch (type.getName()) {
            case "int" -> Integer.class;
            case "long" -> Long.class;
            case "double" -> Double.class;
            case "float" -> Float.class;
            case "boolean" -> Boolean.class;
            case "short" -> Short.class;
            case "byte" -> Byte.class;
            default -> Character.class;
        };
    }

    private static void checkSerializable(Object value, String what) {
        if (value != null && !(value instanceof Serializable)) {
            throw new IllegalArgumentException(
                    what
                            + " is a "
                            + value.getClass().getName()
                            + ", which is not Serializable; actors may be constructed in other"
                            + " processes, so make it Serializable");
        }
    }

    /** {@code InferenceActor::new} for a constructor reference, else the class's simple name. */
    static String describe(Object function) {
        try {
            Method writeReplace = function.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            SerializedLambda lambda = (SerializedLambda) writeReplace.invoke(function);
            String owner = lambda.getImplClass();
            String simple =
                    owner.substring(Math.max(owner.lastIndexOf('/'), owner.lastIndexOf('$')) + 1);
            String method = lambda.getImplMethodName();
            if (method.equals("<init>")) {
                return simple + "::new";
            }
            return method.startsWith("lambda$") ? "lambda in " + simple : simple + "::" + method;
        } catch (ReflectiveOperationException | RuntimeException e) {
            String simple = function.getClass().getSimpleName();
            int lambda = simple.indexOf("$$Lambda");
            return lambda >= 0 ? "lambda in " + simple.substring(0, lambda) : simple;
        }
    }
}
