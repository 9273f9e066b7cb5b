package io.rayzerocopy.model;

import ai.djl.Device;
import ai.djl.Model;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One shareable model: how to take its weights out on the driver, and how to rebuild it around a
 * mapped store inside an actor. Implemented by {@link TorchScriptModel} and {@link BlockModel}; a
 * DJL {@link Model} holding a TorchScript block is converted with {@link #of(Object)}.
 */
public interface ModelSource {
    /** The serializable recipe that rebuilds the model in an actor: everything but the weights. */
    interface Skeleton extends Serializable {
        /**
         * Builds the model on {@code device} with every parameter bound to the store, zero-copy.
         */
        Model bind(MappedStore store, String prefix, Device device, String name);

        /** Names of the methods that may be called in task mode. */
        List<String> methodNames();
    }

    /**
     * What the driver extracts: the tensors to store (views of the model's memory, valid until
     * {@link #close()}), extra files, and the skeleton.
     */
    final class Extracted implements AutoCloseable {
        final List<WeightStore.Tensor> tensors;
        final Map<String, byte[]> files;
        final Skeleton skeleton;
        private final AutoCloseable resources;
        private java.util.function.Supplier<List<String>> privateTensors = List::of;

        Extracted(
                List<WeightStore.Tensor> tensors,
                Map<String, byte[]> files,
                Skeleton skeleton,
                AutoCloseable resources) {
            this.tensors = tensors;
            this.files = files;
            this.skeleton = skeleton;
            this.resources = resources;
        }

        /** Releases what the tensor views point into (a model loaded only for extraction). */
        @Override
        public void close() throws Exception {
            if (resources != null) {
                resources.close();
            }
        }

        /** Tensors to write, named as the model names them (without prefix). */
        public List<WeightStore.Tensor> tensors() {
            return tensors;
        }

        /** Extra files to store (names without prefix). */
        public Map<String, byte[]> files() {
            return files;
        }

        /**
         * Tensors that stay in the skeleton, private to each actor (TorchScript buffers), described
         * as "attribute dtype[shape] bytes".
         */
        public List<String> privateTensors() {
            return privateTensors.get();
        }

        /** Sets how to list the private tensors (computed only when asked: it reads the file). */
        Extracted withPrivateTensors(java.util.function.Supplier<List<String>> tensors) {
            this.privateTensors = tensors;
            return this;
        }

        /** The recipe to rebuild the model. */
        public Skeleton skeleton() {
            return skeleton;
        }
    }

    /**
     * Takes the weights out of the model (driver side, once).
     *
     * @param prefix prefix of every tensor and file name in the store (distinguishes pipeline
     *     fields)
     * @param methodNames TorchScript methods callable in task mode (empty means {@code forward})
     */
    Extracted extract(String prefix, List<String> methodNames) throws Exception;

    /** Whether {@code value} is something {@link #of(Object)} accepts. */
    static boolean isModel(Object value) {
        return value instanceof ModelSource || value instanceof Model;
    }

    /**
     * Converts a model value: a {@link ModelSource} as is, a DJL {@link Model} registered with
     * {@link BlockModel#register} to that block model, any other DJL {@link Model} holding a
     * TorchScript block (loaded from a {@code .pt} file) to a {@link TorchScriptModel}.
     *
     * @throws IllegalArgumentException naming the value and what to pass instead
     */
    static ModelSource of(Object value) {
        if (value instanceof ModelSource) {
            return (ModelSource) value;
        }
        if (value instanceof Model) {
            BlockModel registered = BlockModel.registered((Model) value);
            return registered != null ? registered : TorchScriptModel.fromDjlModel((Model) value);
        }
        throw new IllegalArgumentException(
                "cannot share a "
                        + (value == null ? "null" : value.getClass().getName())
                        + ": pass a DJL Model holding a TorchScript block, a TorchScriptModel, a BlockModel, or a Serializable"
                        + " pipeline whose model fields hold them");
    }
}
