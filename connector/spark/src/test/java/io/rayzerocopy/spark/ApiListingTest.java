package io.rayzerocopy.spark;

import io.rayzerocopy.ApiListing;

import org.junit.jupiter.api.Test;

/** The public API of {@code ray-zerocopy-spark}, as checked in at {@code api/spark.api}. */
class ApiListingTest {
    @Test
    void thePublicApiIsTheCheckedInListing() throws Exception {
        ApiListing.check("spark", "io.rayzerocopy.spark");
    }
}
