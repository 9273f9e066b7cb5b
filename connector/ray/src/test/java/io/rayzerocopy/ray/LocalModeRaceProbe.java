package io.rayzerocopy.ray;

import io.ray.api.ActorHandle;
import io.ray.api.Ray;
import io.rayzerocopy.ray.internal.RayActorHost;
import io.rayzerocopy.ray.internal.RayFnActor;
import io.rayzerocopy.ray.internal.RemoteFn;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Child-JVM probe for ray-project/ray#61827: calls four LOCAL-mode actors concurrently WITHOUT
 * {@link RayFnActor}'s gate and prints {@code wrong=<calls answered by another actor> of=<calls>}.
 * Runs in its own JVM because the race may also end in Ray's {@code System.exit(-1)}.
 */
public final class LocalModeRaceProbe {
    private LocalModeRaceProbe() {}

    public static void main(String[] args) throws Exception {
        int actors = 4;
        int calls = Integer.parseInt(args[0]);
        RayCluster.start();
        ExecutorService callers = Executors.newFixedThreadPool(actors);
        try {
            List<ActorHandle<RayActorHost>> handles = new ArrayList<>();
            for (int i = 0; i < actors; i++) {
                ActorHandle<RayActorHost> h =
                        Ray.actor(RayActorHost::new, spec(new TestFns.Id("actor-" + i))).remote();
                h.task(RayActorHost::init).remote().get();
                handles.add(h);
            }
            List<Future<Integer>> wrong = new ArrayList<>();
            for (int i = 0; i < actors; i++) {
                ActorHandle<RayActorHost> h = handles.get(i);
                String expected = "actor-" + i;
                wrong.add(
                        callers.submit(
                                () -> {
                                    int n = 0;
                                    for (int c = 0; c < calls; c++) {
                                        byte[] out =
                                                h.task(RayActorHost::call, new byte[] {1})
                                                        .remote()
                                                        .get();
                                        if (!expected.equals(
                                                new String(out, StandardCharsets.UTF_8))) {
                                            n++;
                                        }
                                    }
                                    return n;
                                }));
            }
            int total = 0;
            for (Future<Integer> f : wrong) {
                total += f.get();
            }
            System.out.println("wrong=" + total + " of=" + actors * calls);
        } finally {
            callers.shutdownNow();
            RayCluster.shutdown();
        }
    }

    private static byte[] spec(RemoteFn fn) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(fn);
        }
        return bytes.toByteArray();
    }
}
