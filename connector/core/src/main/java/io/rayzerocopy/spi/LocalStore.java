package io.rayzerocopy.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A committed weight store as this machine has it, handed to a {@link StoreShipping.Publisher}
 * that makes its files reachable from other machines. Read it; never change it. Its {@code
 * toString()} describes it for logs.
 */
@Experimental
public interface LocalStore {
    /** The store's id, unique per content: a name for what is published. */
    String id();

    /** The store directory root of this machine ({@code rzc.store.dir}, ...). */
    Path root();

    /** The store's own directory, under {@link #root()}. */
    Path directory();

    /** The store's files, relative to {@link #directory()}, in the order to copy them. */
    List<String> files() throws IOException;
}
