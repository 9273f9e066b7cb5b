package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import java.nio.file.Paths;

/**
 * One actor of the memory harness's naive round, in a plain JVM of its own, as a user without
 * shared weights runs one: loads its own copy of the model with DJL ({@code block PARAMS LAYERS} or
 * {@code torchscript FILE}), runs a forward pass so every weight page is touched, prints {@code
 * ready <pid> <load ms>}, then waits for a line on stdin.
 */
public final class NaiveActor {
    private NaiveActor() {}

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        try (Model model = Model.newInstance("mlp", Device.cpu(), "PyTorch")) {
            if (args[0].equals("block")) {
                model.setBlock(BenchModels.build(Integer.parseInt(args[2])));
                model.load(Paths.get(args[1]), "mlp" + args[2]);
            } else {
                model.load(Paths.get(args[1]));
            }
            double loadMs = (System.nanoTime() - start) / 1e6;
            try (NDManager manager = NDManager.newBaseManager()) {
                model.getBlock()
                        .forward(
                                new ParameterStore(manager, false),
                                new NDList(manager.ones(new Shape(1, BenchModels.WIDTH))),
                                false);
            }
            System.out.printf("ready %d %.1f%n", ProcessHandle.current().pid(), loadMs);
            System.out.flush();
            System.in.read();
        }
    }
}
