package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.ModelWrapper;

import java.io.ByteArrayInputStream;
import java.io.ObjectInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * One actor process of the memory harness: loads a model one way, runs a forward pass so every
 * weight page is touched, prints {@code ready <pid> <load ms>}, then waits for a line on stdin.
 */
public final class MemoryActor {
    private MemoryActor() {}

    public static void main(String[] args) throws Exception {
        Engine.getEngine("PyTorch");
        String mode = args[0];
        long start = System.nanoTime();
        Model model;
        switch (mode) {
            case "baseline":
                model = null;
                break;
            case "naive-block":
                {
                    model = Model.newInstance("mlp", Device.cpu(), "PyTorch");
                    model.setBlock(BenchModels.build(Integer.parseInt(args[2])));
                    model.load(Paths.get(args[1]), "mlp" + args[2]);
                    break;
                }
            case "naive-torchscript":
                {
                    model = Model.newInstance("mlp", Device.cpu(), "PyTorch");
                    model.load(Paths.get(args[1]));
                    break;
                }
            case "zerocopy":
                {
                    byte[] bytes = Files.readAllBytes(Path.of(args[1]));
                    try (ObjectInputStream in =
                            new ObjectInputStream(new ByteArrayInputStream(bytes))) {
                        @SuppressWarnings("unchecked")
                        ModelWrapper<Model> wrapper = (ModelWrapper<Model>) in.readObject();
                        model = wrapper.load();
                    }
                    break;
                }
            default:
                throw new IllegalArgumentException("unknown mode " + mode);
        }
        double loadMs = (System.nanoTime() - start) / 1e6;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList x = new NDList(manager.ones(new Shape(1, BenchModels.WIDTH)));
            if (model != null) {
                model.getBlock().forward(new ParameterStore(manager, false), x, false);
            }
        }
        System.out.printf("ready %d %.1f%n", ProcessHandle.current().pid(), loadMs);
        System.out.flush();
        System.in.read();
        if (model != null) {
            model.close();
        }
    }
}
