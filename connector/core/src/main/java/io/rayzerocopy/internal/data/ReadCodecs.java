package io.rayzerocopy.internal.data;

import org.apache.parquet.bytes.ByteBufferReleaser;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The codecs a Parquet file is read with: parquet-mr's, except that Snappy pages are decompressed
 * from the page's bytes into a new array in one call. parquet-mr's Snappy path streams each page
 * through a direct buffer it copies the input into and the output out of, which was half of the
 * reader's time in a profile (docs/benchmarks.md). One instance per open file: the reader releases
 * its codecs when it closes.
 */
final class ReadCodecs implements CompressionCodecFactory {
    private final CompressionCodecFactory parquetMr =
            new CodecFactory(new PlainParquetConfiguration(), 0);

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        return parquetMr.getCompressor(codec);
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        return codec == CompressionCodecName.SNAPPY
                ? SnappyArrays.INSTANCE
                : parquetMr.getDecompressor(codec);
    }

    @Override
    public void release() {
        parquetMr.release();
    }

    /** Snappy from the page's array to a new array; stateless, so shared. */
    private enum SnappyArrays implements BytesInputDecompressor {
        INSTANCE;

        private static final HeapByteBufferAllocator HEAP = new HeapByteBufferAllocator();

        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            byte[] out = new byte[uncompressedSize];
            // A page read from a heap chunk comes as a slice of it: no copy here.
            try (ByteBufferReleaser releaser = new ByteBufferReleaser(HEAP)) {
                uncompress(bytes.toByteBuffer(releaser), out);
            }
            return BytesInput.from(out);
        }

        @Override
        public void decompress(
                ByteBuffer input, int compressedSize, ByteBuffer output, int decompressedSize)
                throws IOException {
            ByteBuffer in = input.duplicate();
            in.limit(in.position() + compressedSize);
            byte[] out = new byte[decompressedSize];
            uncompress(in, out);
            output.put(out);
        }

        /** Decompresses all of {@code in} into all of {@code out}, which has the page's size. */
        private static void uncompress(ByteBuffer in, byte[] out) throws IOException {
            byte[] array = in.hasArray() ? in.array() : new byte[in.remaining()];
            int offset = in.hasArray() ? in.arrayOffset() + in.position() : 0;
            if (!in.hasArray()) {
                in.duplicate().get(array);
            }
            int size = Snappy.uncompress(array, offset, in.remaining(), out, 0);
            if (size != out.length) {
                throw new IOException(
                        "a Snappy page decompressed to "
                                + size
                                + " bytes; its header says "
                                + out.length);
            }
        }

        @Override
        public void release() {}
    }
}
