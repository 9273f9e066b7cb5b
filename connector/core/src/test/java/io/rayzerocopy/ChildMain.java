package io.rayzerocopy;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

/** Entry point of the child JVMs the cross-process tests start. */
public final class ChildMain {
    private ChildMain() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "load":
                {
                    // load <serialized wrapper> <fixture>: prints the model's output for the
                    // fixture's input.
                    ModelWrapper<Model> wrapper =
                            (ModelWrapper)
                                    Serialization.deserialize(
                                            Files.readAllBytes(Paths.get(args[1])));
                    try (Model model = wrapper.load();
                            NDManager manager = NDManager.newBaseManager()) {
                        NDArray out =
                                ModelWrapperTest.predict(
                                                model, Fixtures.refArray(manager, args[2], "input"))
                                        .singletonOrThrow();
                        ZeroCopy.assertAllParametersInStore(model, wrapper);
                        System.out.println(Arrays.toString(out.toFloatArray()));
                    }
                    break;
                }
            case "create":
                {
                    // create <pt file>: wraps it, prints the store directory, waits for a line on
                    // stdin.
                    try (ModelWrapper<Model> wrapper =
                            ModelWrapper.fromModel(
                                    TorchScriptModel.fromFile(Path.of(args[1])), Mode.ACTOR)) {
                        System.out.println(Stores.directory(wrapper));
                        System.out.flush();
                        System.in.read();
                    }
                    break;
                }
            case "remote":
                {
                    // remote <uri>: wraps the model at the URI, prints its store directory and
                    // the bytes this JVM read from HDFS, waits for a line on stdin.
                    try (ModelWrapper<Model> wrapper =
                            ModelWrapper.fromModel(TorchScriptModel.fromUri(args[1]), Mode.ACTOR)) {
                        System.out.println(
                                Stores.directory(wrapper) + " " + RemoteModelTest.hdfsBytesRead());
                        System.out.flush();
                        System.in.read();
                    }
                    break;
                }
            case "map":
                {
                    // map <pt file> <fixture>: wraps and loads the model, runs the fixture's input
                    // through it (touching every weight page), prints the store directory, and
                    // holds the mapping until a line arrives on stdin.
                    try (ModelWrapper<Model> wrapper =
                                    ModelWrapper.fromModel(
                                            TorchScriptModel.fromFile(Path.of(args[1])),
                                            Mode.ACTOR);
                            Model model = wrapper.load();
                            NDManager manager = NDManager.newBaseManager()) {
                        ModelWrapperTest.predict(
                                model, Fixtures.refArray(manager, args[2], "input"));
                        System.out.println(Stores.directory(wrapper));
                        System.out.flush();
                        System.in.read();
                    }
                    break;
                }
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }
}
