package io.rayzerocopy.ray;

import io.rayzerocopy.RuntimeConformance;
import io.rayzerocopy.RuntimeNames;

/**
 * The runtime suite on Ray actors, in Ray's LOCAL mode (calls serialized across actors against
 * ray-project/ray#61827; see docs/ray-cluster.md).
 */
class RayConformanceTest extends RuntimeConformance {
    @Override
    protected String runtime() {
        return RuntimeNames.RAY;
    }
}
