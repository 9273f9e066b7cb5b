package io.rayzerocopy.bench;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * The baselines' translator: a row's features as {@code float[]} in, its scores out, rows of one
 * {@code batchPredict} stacked into one forward (DJL's {@link Batchifier#STACK}).
 */
final class FloatRows implements Translator<float[], float[]> {
    @Override
    public NDList processInput(TranslatorContext ctx, float[] input) {
        return new NDList(ctx.getNDManager().create(input));
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        return list.singletonOrThrow().toFloatArray();
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
