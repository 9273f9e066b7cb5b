package io.rayzerocopy;

/**
 * A model to share that is described rather than loaded: a TorchScript file ({@link
 * TorchScriptModel}) or a Java DJL block with its trained weights ({@link BlockModel}). Pass it to
 * {@link ModelWrapper#fromModel(ModelSource, Mode)}; a loaded DJL {@code Model} can be passed
 * directly.
 */
public sealed interface ModelSource permits TorchScriptModel, BlockModel {}
