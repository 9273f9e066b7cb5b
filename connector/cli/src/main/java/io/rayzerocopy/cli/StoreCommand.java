package io.rayzerocopy.cli;

import io.rayzerocopy.internal.model.WeightStore;

import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code rzc store list|gc}: the weight stores on this machine. */
@Command(
        name = "store",
        mixinStandardHelpOptions = true,
        description =
                "The weight stores on this machine (under -Drzc.store.dir, RZC_STORE_DIR, or"
                        + " /dev/shm).",
        subcommands = {StoreCommand.List.class, StoreCommand.Gc.class})
final class StoreCommand {
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List stores: size, live users, age.")
    static final class List implements Callable<Integer> {
        @Override
        public Integer call() {
            WeightStore store = WeightStore.local();
            java.util.List<WeightStore.Info> infos = store.list();
            System.out.printf("%-40s %10s %6s  %s%n", "store", "MB", "users", "created");
            for (WeightStore.Info i : infos) {
                System.out.printf(
                        "%-40s %10.1f %6d  %s%n",
                        i.directory().getFileName(),
                        i.bytes() / 1048576.0,
                        i.liveLeases(),
                        i.created());
            }
            System.out.printf("%d stores under %s%n", infos.size(), store.root());
            return 0;
        }
    }

    @Command(
            name = "gc",
            mixinStandardHelpOptions = true,
            description = "Remove leases of dead processes, then every store no live process uses.")
    static final class Gc implements Callable<Integer> {
        @Override
        public Integer call() {
            java.util.List<Path> removed = WeightStore.local().gc();
            removed.forEach(p -> System.out.println("removed " + p));
            System.out.printf("removed %d unused stores%n", removed.size());
            return 0;
        }
    }

    private StoreCommand() {}
}
