package io.rayzerocopy;

import io.rayzerocopy.internal.data.BatchSource;
import io.rayzerocopy.internal.data.JobRecord;
import io.rayzerocopy.internal.exec.MapStage;

import org.apache.arrow.vector.types.pojo.Field;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@link JobRecord} of a {@link Dataset} written to Parquet: what must be the same for a run to
 * continue another's output. Each map's function is identified by the SHA-256 of its Java
 * serialization (the function and its arguments), with the models in it taken out and named by
 * their store ids (content hashes of the weights), so a changed model is reported as such.
 */
final class JobRecords {
    private JobRecords() {}

    static JobRecord of(
            BatchSource source,
            Map<String, String> splits,
            List<MapStage> stages,
            ParquetWriteOptions write) {
        Map<String, String> entries = new LinkedHashMap<>();
        splits.forEach((name, identity) -> entries.put("input " + name, identity));
        List<String> columns = new ArrayList<>();
        for (Field field : source.schema().getFields()) {
            columns.add(field.getName() + ": " + field.getType());
        }
        entries.put("input columns", String.join(", ", columns));
        for (int i = 0; i < stages.size(); i++) {
            MapStage stage = stages.get(i);
            String map = "map" + (i + 1) + "(" + stage.name() + ")";
            Fingerprint fingerprint = Fingerprint.of(stage.actor());
            entries.put(map + " function and arguments", fingerprint.sha256());
            if (!fingerprint.models().isEmpty()) {
                entries.put(map + " model", String.join(", ", fingerprint.models()));
            }
            entries.put(map + " batch size", Integer.toString(stage.batchSize()));
        }
        entries.put(
                "write options",
                "compression="
                        + write.compression()
                        + " rowsPerFile="
                        + write.rowsPerFile()
                        + " rowsPerRowGroup="
                        + write.rowsPerRowGroup()
                        + (write.partitionBy().isEmpty()
                                ? ""
                                : " partitionBy=" + String.join(",", write.partitionBy())));
        return new JobRecord(entries, List.copyOf(splits.keySet()));
    }

    /** A function's identity: the hash of its serialization, and the stores of its models. */
    private record Fingerprint(String sha256, List<String> models) {
        static Fingerprint of(Object function) {
            MessageDigest digest;
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
            TreeSet<String> models = new TreeSet<>();
            try (ObjectOutputStream out =
                    new ModelsByStore(
                            new DigestOutputStream(OutputStream.nullOutputStream(), digest),
                            models)) {
                out.writeObject(function);
            } catch (IOException | RuntimeException e) {
                // Not serializable: it runs in this JVM only, and cannot be told apart from
                // another function of the same name.
                return new Fingerprint("not serializable", List.of());
            }
            return new Fingerprint(
                    HexFormat.of().formatHex(digest.digest()).substring(0, 16),
                    List.copyOf(models));
        }
    }

    /** Serializes with every {@link ModelWrapper} replaced by its store id, collecting them. */
    private static final class ModelsByStore extends ObjectOutputStream {
        private final TreeSet<String> models;

        ModelsByStore(OutputStream out, TreeSet<String> models) throws IOException {
            super(out);
            this.models = models;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) {
            if (obj instanceof ModelWrapper<?> wrapper) {
                models.add(wrapper.storeId());
                return "model store " + wrapper.storeId();
            }
            return obj;
        }
    }
}
