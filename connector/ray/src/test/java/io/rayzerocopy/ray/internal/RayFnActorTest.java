package io.rayzerocopy.ray.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ray.api.call.BaseActorCreator;
import io.ray.api.options.ActorCreationOptions;
import io.rayzerocopy.ray.RayCluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;

/** What an actor of the {@code ray} runtime asks Ray for. */
class RayFnActorTest {
    @BeforeAll
    static void startRay() {
        RayCluster.start();
    }

    @AfterAll
    static void stopRay() {
        RayCluster.shutdown();
    }

    @Test
    void anActorReservesTheCpusOfItsPool() throws Exception {
        // Ray offers no public view of an actor's options; read what Ray itself would submit.
        Method build = BaseActorCreator.class.getDeclaredMethod("buildOptions");
        build.setAccessible(true);
        ActorCreationOptions options =
                (ActorCreationOptions) build.invoke(RayFnActor.creator(new byte[] {1}, 0.5));
        assertEquals(0.5, options.resources.get("CPU"));
    }
}
