package io.rayzerocopy;

/** The runtime suite on threads of this JVM. */
class ThreadsConformanceTest extends RuntimeConformance {
    @Override
    protected String runtime() {
        return RuntimeNames.THREADS;
    }
}
