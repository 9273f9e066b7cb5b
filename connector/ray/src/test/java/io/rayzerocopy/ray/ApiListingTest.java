package io.rayzerocopy.ray;

import io.rayzerocopy.ApiListing;

import org.junit.jupiter.api.Test;

/** The public API of {@code ray-zerocopy-ray}, as checked in at {@code api/ray.api}. */
class ApiListingTest {
    @Test
    void thePublicApiIsTheCheckedInListing() throws Exception {
        ApiListing.check("ray", "io.rayzerocopy.ray");
    }
}
