package io.rayzerocopy.internal.model;

import ai.djl.Device;
import ai.djl.Model;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One shareable model on the driver: takes its weights out (once), and gives the serializable
 * {@link Skeleton} that rebuilds it around a mapped store inside an actor. {@link
 * TorchScriptExtractor} and {@link BlockExtractor} implement it.
 */
public interface ModelExtractor {
    /** The user's files the weights come from (a {@code .pt} file, weights), for output checks. */
    default List<Path> sourceFiles() {
        return List.of();
    }

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
        private final List<WeightStore.Tensor> tensors;
        private final Map<String, byte[]> files;
        private final Skeleton skeleton;
        private final AutoCloseable resources;
        private final Supplier<List<String>> privateTensors;

        Extracted(
                List<WeightStore.Tensor> tensors,
                Map<String, byte[]> files,
                Skeleton skeleton,
                AutoCloseable resources,
                Supplier<List<String>> privateTensors) {
            this.tensors = tensors;
            this.files = files;
            this.skeleton = skeleton;
            this.resources = resources;
            this.privateTensors = privateTensors;
        }

        /** Releases what the tensor views point into (a model loaded only for extraction). */
        @Override
        public void close() throws Exception {
            if (resources != null) {
                resources.close();
            }
        }

        /** Tensors to write, named with the prefix given to {@link #extract}. */
        public List<WeightStore.Tensor> tensors() {
            return tensors;
        }

        /** Extra files to store, named with the prefix given to {@link #extract}. */
        public Map<String, byte[]> files() {
            return files;
        }

        /**
         * Tensors that stay in the skeleton, private to each actor (TorchScript buffers), described
         * as "attribute dtype[shape] bytes"; computed when asked (it reads the model file).
         */
        public List<String> privateTensors() {
            return privateTensors.get();
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
}
