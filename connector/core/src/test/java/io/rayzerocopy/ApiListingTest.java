package io.rayzerocopy;

import org.junit.jupiter.api.Test;

/** The public API of {@code ray-zerocopy-core}, as checked in at {@code api/core.api}. */
class ApiListingTest {
    @Test
    void thePublicApiIsTheCheckedInListing() throws Exception {
        ApiListing.check("core", "io.rayzerocopy", "io.rayzerocopy.admin", "io.rayzerocopy.spi");
    }
}
