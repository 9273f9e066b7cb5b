package io.rayzerocopy.internal.data;

import org.apache.parquet.column.values.bitpacking.BytePacker;
import org.apache.parquet.column.values.bitpacking.Packer;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Decodes a page's repetition or definition levels in one pass into an {@code int[]}: the RLE /
 * bit-packing hybrid encoding, where runs become {@link Arrays#fill} and bit-packed groups are
 * unpacked eight at a time.
 */
final class Levels {
    private Levels() {}

    /**
     * Decodes {@code count} levels of {@code bitWidth} bits from {@code bytes} (from its position)
     * into {@code out}, which must hold {@code count} values.
     */
    static void decodeHybrid(ByteBuffer bytes, int bitWidth, int count, int[] out) {
        BytePacker packer = Packer.LITTLE_ENDIAN.newBytePacker(bitWidth);
        int valueBytes = (bitWidth + 7) / 8;
        int[] group = new int[8];
        int filled = 0;
        while (filled < count) {
            int header = readUnsignedVarInt(bytes);
            if ((header & 1) == 0) {
                int run = Math.min(header >>> 1, count - filled);
                int value = 0;
                for (int b = 0; b < valueBytes; b++) {
                    value |= (bytes.get() & 0xff) << (8 * b);
                }
                Arrays.fill(out, filled, filled + run, value);
                filled += run;
            } else {
                int groups = header >>> 1;
                for (int g = 0; g < groups; g++) {
                    int position = bytes.position();
                    if (count - filled >= 8) {
                        packer.unpack8Values(bytes, position, out, filled);
                        filled += 8;
                    } else if (filled < count) {
                        packer.unpack8Values(bytes, position, group, 0);
                        int take = count - filled;
                        System.arraycopy(group, 0, out, filled, take);
                        filled += take;
                    }
                    bytes.position(position + bitWidth);
                }
            }
        }
    }

    /**
     * Whether the {@code count} levels of {@code bitWidth} bits from {@code bytes} (from its
     * position, which is left unchanged) are all {@code value}, encoded as RLE runs only: the cheap
     * test for a page without nulls, whose definition levels are all the highest.
     */
    static boolean allEqual(ByteBuffer bytes, int bitWidth, int count, int value) {
        ByteBuffer in = bytes.duplicate();
        int valueBytes = (bitWidth + 7) / 8;
        int seen = 0;
        while (seen < count) {
            if (!in.hasRemaining()) {
                return false;
            }
            int header = readUnsignedVarInt(in);
            if ((header & 1) != 0) {
                return false;
            }
            int runValue = 0;
            for (int b = 0; b < valueBytes; b++) {
                runValue |= (in.get() & 0xff) << (8 * b);
            }
            if (runValue != value) {
                return false;
            }
            seen += header >>> 1;
        }
        return true;
    }

    /**
     * Decodes {@code count} repetition levels of one bit (lists not nested) from {@code bytes} into
     * the positions where a row starts (level 0), in order; returns how many there are. A list
     * column's rows are found this way without expanding a level per value.
     */
    static int rowStarts(ByteBuffer bytes, int count, int[] out) {
        int filled = 0;
        int starts = 0;
        while (filled < count) {
            int header = readUnsignedVarInt(bytes);
            if ((header & 1) == 0) {
                int run = Math.min(header >>> 1, count - filled);
                if ((bytes.get() & 1) == 0) {
                    for (int k = 0; k < run; k++) {
                        out[starts++] = filled + k;
                    }
                }
                filled += run;
            } else {
                int groups = header >>> 1;
                for (int g = 0; g < groups; g++) {
                    int bits = bytes.get() & 0xff;
                    if (bits != 0xff) {
                        for (int k = 0; k < 8 && filled + k < count; k++) {
                            if ((bits & (1 << k)) == 0) {
                                out[starts++] = filled + k;
                            }
                        }
                    }
                    filled += 8;
                }
            }
        }
        return starts;
    }

    private static int readUnsignedVarInt(ByteBuffer bytes) {
        int value = 0;
        int shift = 0;
        int b;
        do {
            b = bytes.get() & 0xff;
            value |= (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return value;
    }
}
