/**
 * The engine SPI: what a runtime implements to run actors ({@link
 * io.rayzerocopy.spi.RuntimeProvider}, {@link io.rayzerocopy.spi.ActorRuntime}) or whole jobs
 * ({@link io.rayzerocopy.spi.JobRuntime}, given a {@link io.rayzerocopy.spi.JobPlan}), and the
 * services core offers engines (Arrow batches between processes, worker JVM flags, weight stores
 * shipped to other machines). The {@code threads}, {@code processes}, {@code ray} and {@code spark}
 * runtimes are written against it; see docs/engines.md. Each type is tagged {@link
 * io.rayzerocopy.spi.Stable} or {@link io.rayzerocopy.spi.Experimental}; nothing here refers to
 * {@code io.rayzerocopy.internal}.
 */
package io.rayzerocopy.spi;
