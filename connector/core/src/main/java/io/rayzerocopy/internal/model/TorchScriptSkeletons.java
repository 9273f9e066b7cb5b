package io.rayzerocopy.internal.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Turns a TorchScript file into a weight-free skeleton, in Java, the way the Python recipe does:
 * every parameter storage is cut to one element and every parameter tensor gets stride 0 (an
 * "expand" of that element), so the file shrinks to its code and structure.
 *
 * <p>A TorchScript file is a zip: {@code data.pkl} pickles the module tree ({@link
 * TorchScriptPickle}) and each tensor's storage is a record {@code data/<key>}. A tensor is a
 * parameter's when the attribute path that leads to it is the parameter's name ({@code fc.bias})
 * and it holds exactly the parameter's bytes; a storage is cut only if every tensor on it is a
 * parameter's, and never more tensors than there are parameters. Buffers (e.g. BatchNorm
 * statistics, or a buffer that happens to hold the same bytes as a parameter) and constants are
 * kept, since they cannot be re-bound through DJL. Anything unexpected makes {@link #strip} return
 * the file unchanged, which is always correct, only larger.
 */
final class TorchScriptSkeletons {
    /** The time of every entry of a skeleton: the earliest a zip can record. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private TorchScriptSkeletons() {}

    /**
     * Returns a skeleton of {@code pt} with the storages of {@code parameters} (by name, with their
     * bytes) cut, or {@code pt} itself.
     */
    static byte[] strip(Path file, byte[] pt, Map<String, ByteBuffer> parameters) {
        try {
            Archive archive = Archive.open(file);
            if (archive == null) {
                return pt;
            }
            Set<TorchScriptPickle.Site> cut = archive.parameterSites(parameters);
            if (cut.size() > parameters.size()) {
                return pt;
            }
            Map<String, Integer> numel = new HashMap<>();
            Map<String, Integer> itemSizes = new HashMap<>();
            for (Map.Entry<String, List<TorchScriptPickle.Site>> storage :
                    archive.pickle.byStorage().entrySet()) {
                if (!cut.containsAll(storage.getValue())) {
                    continue;
                }
                long last = 0;
                for (TorchScriptPickle.Site site : storage.getValue()) {
                    last = Math.max(last, site.offset());
                }
                numel.put(storage.getKey(), (int) last + 1);
                itemSizes.put(storage.getKey(), storage.getValue().get(0).itemSize());
            }
            if (numel.isEmpty()) {
                return pt;
            }
            byte[] pkl = archive.pickle.cut(numel);
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : archive.entries.entrySet()) {
                byte[] data = e.getValue();
                if (e.getKey().equals(archive.pklName)) {
                    data = pkl;
                } else if (e.getKey().startsWith(archive.dataPrefix())) {
                    String key = e.getKey().substring(archive.dataPrefix().length());
                    Integer n = numel.get(key);
                    if (n != null) {
                        data = Arrays.copyOf(data, Math.min(n * itemSizes.get(key), data.length));
                    }
                }
                out.put(e.getKey(), data);
            }
            return writeZip(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TorchScript archive: " + e.getMessage(), e);
        }
    }

    /**
     * The tensors of a TorchScript file that are not parameters (buffers such as BatchNorm
     * statistics, tensor constants of the module's state), which stay in the skeleton and so are
     * private to each actor: "path dtype[shape] bytes" each. Empty if the file cannot be read.
     */
    static List<String> privateTensors(Path file, Map<String, ByteBuffer> parameters) {
        List<String> out = new ArrayList<>();
        try {
            Archive archive = Archive.open(file);
            if (archive == null) {
                return out;
            }
            Set<TorchScriptPickle.Site> params = archive.parameterSites(parameters);
            for (TorchScriptPickle.Site site : archive.pickle.sites()) {
                if (archive.record(site) != null && !params.contains(site)) {
                    out.add(site.toString());
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return out;
    }

    /**
     * The tensors other than {@code parameters} whose values in {@code loaded} differ from {@code
     * original} ("path: why" each), comparing by attribute path. Used on a skeleton that libtorch
     * loaded and wrote back, it proves that every buffer kept its values; empty means equal.
     *
     * @throws IOException if either file cannot be read as a TorchScript archive
     */
    static List<String> changedBuffers(Path original, Path loaded, Set<String> parameters)
            throws IOException {
        Archive before = Archive.open(original);
        Archive after = Archive.open(loaded);
        if (before == null || after == null) {
            throw new IOException(
                    "cannot parse the module tree of " + (before == null ? original : loaded));
        }
        Map<String, TorchScriptPickle.Site> afterByPath = new HashMap<>();
        for (TorchScriptPickle.Site site : after.pickle.sites()) {
            for (String path : site.paths()) {
                afterByPath.put(path, site);
            }
        }
        List<String> changed = new ArrayList<>();
        for (TorchScriptPickle.Site site : before.pickle.sites()) {
            for (String path : site.paths()) {
                if (parameters.contains(path)) {
                    continue;
                }
                TorchScriptPickle.Site now = afterByPath.get(path);
                ByteBuffer was = site.contents(before.record(site));
                if (now == null) {
                    changed.add(path + ": missing");
                } else if (was == null) {
                    changed.add(path + ": cannot be read in " + original);
                } else if (!now.sizes().equals(site.sizes())
                        || !was.equals(now.contents(after.record(now)))) {
                    changed.add(path + ": values differ");
                }
            }
        }
        return changed;
    }

    /**
     * The storage class (e.g. {@code BFloat16Storage}) of each tensor of a TorchScript file, by its
     * attribute path ({@code fc1.weight}). Empty if the file cannot be read.
     */
    static Map<String, String> storageTypes(Path file) {
        Map<String, String> out = new HashMap<>();
        try {
            Archive archive = Archive.open(file);
            if (archive == null) {
                return out;
            }
            for (TorchScriptPickle.Site site : archive.pickle.sites()) {
                for (String path : site.paths()) {
                    out.put(path, site.storageType());
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return out;
    }

    /** The zip of a TorchScript file with its parsed {@code data.pkl}. */
    private static final class Archive {
        final Map<String, byte[]> entries;
        final String pklName;
        final TorchScriptPickle pickle;

        private Archive(Map<String, byte[]> entries, String pklName, TorchScriptPickle pickle) {
            this.entries = entries;
            this.pklName = pklName;
            this.pickle = pickle;
        }

        /** The archive, or {@code null} if it has no top-level data.pkl we can parse. */
        static Archive open(Path file) throws IOException {
            Map<String, byte[]> entries = readZip(file);
            for (String name : entries.keySet()) {
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.lastIndexOf('/')) {
                    TorchScriptPickle pickle = TorchScriptPickle.parse(entries.get(name));
                    return pickle == null ? null : new Archive(entries, name, pickle);
                }
            }
            return null;
        }

        String dataPrefix() {
            return pklName.substring(0, pklName.indexOf('/')) + "/data/";
        }

        byte[] record(TorchScriptPickle.Site site) {
            return entries.get(dataPrefix() + site.key());
        }

        /**
         * The tensors that are parameters: every path to the tensor names a parameter, and the
         * tensor holds exactly that parameter's bytes.
         */
        Set<TorchScriptPickle.Site> parameterSites(Map<String, ByteBuffer> parameters) {
            Set<TorchScriptPickle.Site> out = new HashSet<>();
            for (TorchScriptPickle.Site site : pickle.sites()) {
                List<String> paths = site.paths();
                if (paths.isEmpty() || !parameters.keySet().containsAll(paths)) {
                    continue;
                }
                ByteBuffer contents = site.contents(record(site));
                if (contents != null && contents.equals(parameters.get(paths.get(0)))) {
                    out.add(site);
                }
            }
            return out;
        }
    }

    private static Map<String, byte[]> readZip(Path file) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                try (InputStream in = zip.getInputStream(e)) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return entries;
    }

    /**
     * Writes the entries in the given order with a fixed time, so the same model always gives the
     * same bytes: the skeleton is part of the store's content hash, and a time stamp in it would
     * give one model a new store every two seconds.
     */
    private static byte[] writeZip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setTimeLocal(ENTRY_TIME);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                entry.setCompressedSize(e.getValue().length);
                entry.setCrc(crc.getValue());
                out.putNextEntry(entry);
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
