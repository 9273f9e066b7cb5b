package io.rayzerocopy.cli;

import io.rayzerocopy.admin.StoreInfo;
import io.rayzerocopy.admin.WeightStores;

import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rzc store list|gc}: the weight stores on this machine. */
@Command(
        name = "store",
        mixinStandardHelpOptions = true,
        description =
                "The weight stores on this machine (under -Drzc.store.dir, RZC_STORE_DIR, or"
                        + " /dev/shm/ray-zerocopy-<uid>).",
        subcommands = {StoreCommand.ListStores.class, StoreCommand.Gc.class})
final class StoreCommand {
    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description =
                    "List stores (size, live users, creation, last use) and stores being written or"
                        + " left by a writer that died. Changes nothing.")
    static final class ListStores implements Callable<Integer> {
        @Override
        public Integer call() {
            WeightStores stores = WeightStores.local();
            List<StoreInfo> infos = stores.list();
            int width = 40;
            for (StoreInfo i : infos) {
                width = Math.max(width, i.directory().getFileName().toString().length());
            }
            String row = "%-" + width + "s %10s %6s  %-20s  %-20s  %s%n";
            System.out.printf(row, "store", "MB", "users", "created", "last used", "state");
            int partial = 0;
            for (StoreInfo i : infos) {
                boolean writing = i.writerPid().isPresent();
                if (writing) {
                    partial++;
                }
                System.out.printf(
                        row,
                        i.id(),
                        String.format("%.1f", i.bytes() / 1048576.0),
                        writing ? "-" : Integer.toString(i.liveLeases()),
                        i.created().truncatedTo(ChronoUnit.SECONDS),
                        i.lastUse().truncatedTo(ChronoUnit.SECONDS),
                        describe(i));
            }
            System.out.printf(
                    "%d stores, %d partial writes under %s%n",
                    infos.size() - partial, partial, stores.root());
            return 0;
        }

        private static String describe(StoreInfo i) {
            switch (i.state()) {
                case IN_USE:
                    return "in use";
                case UNUSED:
                    return "unused ('rzc store gc' removes it)";
                case WRITING:
                    return "being written by pid " + i.writerPid().getAsLong();
                case ABANDONED:
                    return "abandoned: its writer (pid "
                            + i.writerPid().getAsLong()
                            + ") died ('rzc store gc' removes it)";
                default:
                    throw new IllegalStateException(i.state().toString());
            }
        }
    }

    @Command(
            name = "gc",
            mixinStandardHelpOptions = true,
            description =
                    "Remove leases of dead processes, then every store no live process uses and"
                            + " every partial store whose writer died, and what this user's killed"
                            + " jobs left: shared-memory batch directories (rzc-batches-*), Spark's"
                            + " scratch directories (rzc-scratch-*) and unpacked lz4 libraries.")
    static final class Gc implements Callable<Integer> {
        @Override
        public Integer call() {
            List<Path> removed = WeightStores.local().gc();
            removed.forEach(p -> System.out.println("removed " + p));
            System.out.printf("removed %d unused or abandoned stores%n", removed.size());
            List<Path> leftovers = WeightStores.removeDeadJobFiles();
            leftovers.forEach(p -> System.out.println("removed " + p));
            System.out.printf(
                    "removed %d batch and scratch files of killed jobs%n", leftovers.size());
            return 0;
        }
    }

    private StoreCommand() {}
}
