package io.rayzerocopy;

/**
 * How a {@link Dataset} runs: whether output keeps input order, and how many failing batches may
 * be recorded instead of failing the job. Immutable; see {@link #builder()}.
 */
public final class ExecutionOptions {
  private static final ExecutionOptions DEFAULTS = builder().build();

  private final boolean preserveOrder;
  private final int maxErroredBatches;

  private ExecutionOptions(Builder builder) {
    this.preserveOrder = builder.preserveOrder;
    this.maxErroredBatches = builder.maxErroredBatches;
  }

  /** Unordered output, no errored batches allowed. */
  public static ExecutionOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().preserveOrder(preserveOrder).maxErroredBatches(maxErroredBatches);
  }

  /** Whether output rows come in input order (off by default, as in Ray Data). */
  public boolean preserveOrder() {
    return preserveOrder;
  }

  /**
   * How many batches may fail before the job fails (default 0). The rows of an allowed failure
   * are recorded: by {@code writeParquet} in an {@code _errors} dataset inside the output
   * directory (columns {@code operator, source, source_row, error}, one row per errored row),
   * otherwise in the log; {@link Dataset#stats()} counts them.
   */
  public int maxErroredBatches() {
    return maxErroredBatches;
  }

  @Override
  public String toString() {
    return "ExecutionOptions{preserveOrder=" + preserveOrder + ", maxErroredBatches="
        + maxErroredBatches + "}";
  }

  /** Builds {@link ExecutionOptions}. */
  public static final class Builder {
    private boolean preserveOrder;
    private int maxErroredBatches;

    private Builder() {
    }

    public Builder preserveOrder(boolean preserveOrder) {
      this.preserveOrder = preserveOrder;
      return this;
    }

    public Builder maxErroredBatches(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("maxErroredBatches must be >= 0, got " + n);
      }
      this.maxErroredBatches = n;
      return this;
    }

    public ExecutionOptions build() {
      return new ExecutionOptions(this);
    }
  }
}
