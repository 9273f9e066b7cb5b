package io.rayzerocopy.internal.model;

import ai.djl.Model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Pipelines: serializable objects whose model fields are shared and whose other fields are copied.
 * Model fields are replaced by placeholders when the pipeline is serialized, and by the loaded
 * models when it is deserialized in an actor, so the user's object is never modified.
 */
public final class Pipelines {
    private Pipelines() {}

    /** Stands for a model field in the serialized pipeline. */
    private static final class Slot implements Serializable {
        private static final long serialVersionUID = 1L;
        final String field;

        Slot(String field) {
            this.field = field;
        }
    }

    /**
     * The pipeline's model fields by name: those named in {@code attrNames}, or else every instance
     * field (declared in the class or its superclasses) whose value {@code isModel}.
     */
    public static Map<String, Object> modelFields(
            Object pipeline, List<String> attrNames, Predicate<Object> isModel) {
        Map<String, Field> fields = new LinkedHashMap<>();
        for (Class<?> c = pipeline.getClass();
                c != null && c != Object.class;
                c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
                    fields.putIfAbsent(f.getName(), f);
                }
            }
        }
        Map<String, Object> models = new LinkedHashMap<>();
        List<String> names = attrNames.isEmpty() ? new ArrayList<>(fields.keySet()) : attrNames;
        for (String name : names) {
            Field f = fields.get(name);
            if (f == null) {
                throw new IllegalArgumentException(
                        "modelAttrNames: "
                                + pipeline.getClass().getName()
                                + " has no field '"
                                + name
                                + "'; its fields are "
                                + fields.keySet());
            }
            Object value = read(f, pipeline);
            if (!isModel.test(value)) {
                if (attrNames.isEmpty()) {
                    continue;
                }
                throw new IllegalArgumentException(
                        "modelAttrNames: field '"
                                + name
                                + "' of "
                                + pipeline.getClass().getName()
                                + " holds "
                                + (value == null ? "null" : "a " + value.getClass().getName())
                                + ", not a model (a DJL Model, TorchScriptModel or BlockModel)");
            }
            if (!f.getType().isAssignableFrom(Model.class)) {
                throw new IllegalArgumentException(
                        "pipeline field '"
                                + name
                                + "' is declared as "
                                + f.getType().getName()
                                + "; declare it as ai.djl.Model so load() can put the loaded model"
                                + " there");
            }
            if (Modifier.isTransient(f.getModifiers())) {
                throw new IllegalArgumentException(
                        "pipeline field '"
                                + name
                                + "' is transient; model fields must not be"
                                + " transient (they are shared, not serialized)");
            }
            models.put(name, value);
        }
        return models;
    }

    private static Object read(Field f, Object target) {
        try {
            f.setAccessible(true);
            return f.get(target);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException(
                    "cannot read field '"
                            + f.getName()
                            + "' of "
                            + target.getClass().getName()
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Serializes the pipeline with its model fields replaced by placeholders.
     *
     * @throws IllegalArgumentException naming the field that cannot be serialized
     */
    public static byte[] serialize(Object pipeline, Map<String, Object> models) {
        if (!(pipeline instanceof Serializable)) {
            throw new IllegalArgumentException(
                    "pipeline class "
                            + pipeline.getClass().getName()
                            + " must implement java.io.Serializable: its non-model fields are"
                            + " copied to every actor");
        }
        Map<Object, String> slots = new IdentityHashMap<>();
        models.forEach((k, v) -> slots.put(v, k));
        try {
            return write(pipeline, slots);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException(culprit(pipeline, slots, e), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot serialize pipeline " + pipeline.getClass().getName() + ": " + e, e);
        }
    }

    private static byte[] write(Object value, Map<Object, String> slots) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new SlotOutputStream(bytes, slots)) {
            out.writeObject(value);
        }
        return bytes.toByteArray();
    }

    private static String culprit(
            Object pipeline, Map<Object, String> slots, NotSerializableException e) {
        for (Class<?> c = pipeline.getClass();
                c != null && c != Object.class;
                c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || Modifier.isTransient(f.getModifiers())) {
                    continue;
                }
                Object value = read(f, pipeline);
                if (value == null || slots.containsKey(value)) {
                    continue;
                }
                try {
                    write(value, slots);
                } catch (IOException failed) {
                    return "pipeline field '"
                            + f.getName()
                            + "' ("
                            + value.getClass().getName()
                            + ") cannot be serialized ("
                            + failed.getMessage()
                            + " is not Serializable): make it Serializable, mark it transient, or,"
                            + " if it is a model, name it in modelAttrNames";
                }
            }
        }
        return "pipeline "
                + pipeline.getClass().getName()
                + " cannot be serialized: "
                + e.getMessage()
                + " is not Serializable";
    }

    /** Deserializes a pipeline, putting {@code loaded.get(field)} where each model field was. */
    public static Object deserialize(byte[] bytes, Map<String, ?> loaded) {
        try (ObjectInputStream in = new SlotInputStream(new ByteArrayInputStream(bytes), loaded)) {
            return in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException(
                    "cannot rebuild the pipeline in this process (is its class on the classpath?): "
                            + e,
                    e);
        }
    }

    private static final class SlotOutputStream extends ObjectOutputStream {
        private final Map<Object, String> slots;

        SlotOutputStream(OutputStream out, Map<Object, String> slots) throws IOException {
            super(out);
            this.slots = slots;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) {
            String field = slots.get(obj);
            return field == null ? obj : new Slot(field);
        }
    }

    private static final class SlotInputStream extends ObjectInputStream {
        private final Map<String, ?> loaded;

        SlotInputStream(InputStream in, Map<String, ?> loaded) throws IOException {
            super(in);
            this.loaded = loaded;
            enableResolveObject(true);
        }

        @Override
        protected Object resolveObject(Object obj) {
            return obj instanceof Slot ? loaded.get(((Slot) obj).field) : obj;
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc)
                throws IOException, ClassNotFoundException {
            ClassLoader cl = Thread.currentThread().getContextClassLoader();
            if (cl != null) {
                try {
                    return Class.forName(desc.getName(), false, cl);
                } catch (ClassNotFoundException ignored) {
                    // fall back to the default lookup
                }
            }
            return super.resolveClass(desc);
        }
    }
}
