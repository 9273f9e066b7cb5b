package io.rayzerocopy;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Implemented by an argument of {@link Dataset#mapBatches} (the argument of an {@link
 * ActorFactory}, a constructor argument, or the function itself) that can tell, on the driver
 * before any actor starts, whether the dataset's input fits it. {@link ModelScorer.Config} checks
 * that its columns exist and that the model takes them, so a job that cannot work fails in a
 * second, naming the column, instead of in every batch.
 *
 * <p>Only the first {@code mapBatches} of a dataset is checked: the input of a later one exists
 * only once the job runs.
 */
@FunctionalInterface
public interface InputCheck {

    /**
     * Checks the input. {@code sample} has the input's schema and its first rows (possibly none);
     * it is owned by the caller and valid during the call.
     *
     * @throws IllegalArgumentException naming what does not fit (column, argument) and the fix; the
     *     job then does not start
     */
    void checkInput(VectorSchemaRoot sample);
}
