package io.rayzerocopy.internal.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Turns a TorchScript file into a weight-free skeleton, in Java, the way the Python recipe does:
 * every parameter storage is cut to one element and every parameter tensor gets stride 0 (an
 * "expand" of that element), so the file shrinks to its code and structure.
 *
 * <p>A TorchScript file is a zip: {@code data.pkl} pickles the module tree ({@link
 * TorchScriptPickle}) and each tensor's storage is a record {@code data/<key>}. A tensor is a
 * parameter's when every attribute path that leads to it is a parameter's name ({@code fc.bias}); a
 * storage is cut only if every tensor on it is a parameter's, and never more tensors than there are
 * parameters. Buffers (e.g. BatchNorm statistics, or a buffer that happens to hold the same bytes
 * as a parameter) and constants are kept, since they cannot be re-bound through DJL. Anything
 * unexpected makes {@link #strip} return no skeleton. Only the records that stay in the skeleton
 * are read: the weights are never loaded.
 */
final class TorchScriptSkeletons {
    /** The time of every entry of a skeleton: the earliest a zip can record. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private TorchScriptSkeletons() {}

    /**
     * A skeleton of the archive with the storages of {@code parameters} (attribute paths) cut, or
     * {@code null} if there is nothing to cut or the parameters cannot be told apart from other
     * tensors. Reads only the records that stay (code, pickles, buffers) and the first element of
     * each cut storage.
     */
    static byte[] strip(Archive archive, Set<String> parameters) throws IOException {
        Set<TorchScriptPickle.Site> cut = archive.parameterSites(parameters);
        if (cut.size() > parameters.size()) {
            return null;
        }
        Map<String, Long> prefixBytes = new HashMap<>();
        Map<String, Integer> numel = new HashMap<>();
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
            prefixBytes.put(storage.getKey(), (last + 1) * storage.getValue().get(0).itemSize());
        }
        if (numel.isEmpty()) {
            return null;
        }
        byte[] pkl = archive.pickle.cut(numel);
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ZipRecords.Record r : archive.zip.records().values()) {
            String name = r.name();
            Long keep = null;
            if (name.startsWith(archive.dataPrefix())) {
                keep = prefixBytes.get(name.substring(archive.dataPrefix().length()));
            }
            if (name.equals(archive.pklName)) {
                out.put(name, pkl);
            } else {
                out.put(name, keep == null ? archive.zip.bytes(r) : archive.zip.prefix(r, keep));
            }
        }
        return writeZip(out);
    }

    /**
     * The tensors of the archive that are not {@code parameters} (buffers such as BatchNorm
     * statistics, tensor constants of the module's state), which stay in the skeleton and so are
     * private to each actor: "path dtype[shape] bytes" each.
     */
    static List<String> privateTensors(Archive archive, Set<String> parameters) {
        List<String> out = new ArrayList<>();
        Set<TorchScriptPickle.Site> params = archive.parameterSites(parameters);
        for (TorchScriptPickle.Site site : archive.pickle.sites()) {
            if (archive.record(site) != null && !params.contains(site)) {
                out.add(site.toString());
            }
        }
        return out;
    }

    /**
     * The tensors other than {@code parameters} whose values in {@code loaded} differ from {@code
     * original} ("path: why" each), comparing by attribute path. Used on a skeleton that libtorch
     * loaded and wrote back, it proves that every buffer kept its values; empty means equal. Reads
     * only those tensors of the original.
     *
     * @throws IOException if {@code loaded} cannot be read as a TorchScript archive
     */
    static List<String> changedBuffers(Archive before, Path loaded, Set<String> parameters)
            throws IOException {
        Archive after = Archive.open(loaded);
        if (after == null) {
            throw new IOException("cannot parse the module tree of " + loaded);
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
                ByteBuffer was = before.contents(site);
                if (now == null) {
                    changed.add(path + ": missing");
                } else if (was == null) {
                    changed.add(path + ": cannot be read in " + before.zip.file());
                } else if (!now.sizes().equals(site.sizes()) || !was.equals(after.contents(now))) {
                    changed.add(path + ": values differ");
                }
            }
        }
        return changed;
    }

    /** A TorchScript file: its zip records (located, not read) and its parsed {@code data.pkl}. */
    static final class Archive {
        final ZipRecords zip;
        final String pklName;
        final TorchScriptPickle pickle;

        private Archive(ZipRecords zip, String pklName, TorchScriptPickle pickle) {
            this.zip = zip;
            this.pklName = pklName;
            this.pickle = pickle;
        }

        /**
         * The archive, or {@code null} if it has no top-level data.pkl we can parse.
         *
         * @throws IOException if the file is not a complete zip archive (the message names it)
         */
        static Archive open(Path file) throws IOException {
            ZipRecords zip = ZipRecords.open(file);
            for (ZipRecords.Record r : zip.records().values()) {
                String name = r.name();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.lastIndexOf('/')) {
                    TorchScriptPickle pickle = TorchScriptPickle.parse(zip.bytes(r));
                    return pickle == null ? null : new Archive(zip, name, pickle);
                }
            }
            return null;
        }

        String dataPrefix() {
            return pklName.substring(0, pklName.indexOf('/')) + "/data/";
        }

        /** The storage record of a tensor, or {@code null} if the archive lacks it. */
        ZipRecords.Record record(TorchScriptPickle.Site site) {
            return zip.records().get(dataPrefix() + site.key());
        }

        /** The tensor at the attribute path {@code path}, or {@code null}. */
        TorchScriptPickle.Site siteAt(String path) {
            for (TorchScriptPickle.Site site : pickle.sites()) {
                if (site.paths().contains(path)) {
                    return site;
                }
            }
            return null;
        }

        /** The tensor's elements (read from the file), or {@code null} if they cannot be read. */
        ByteBuffer contents(TorchScriptPickle.Site site) {
            ZipRecords.Record r = record(site);
            try {
                return r == null ? null : site.contents(zip.bytes(r));
            } catch (IOException e) {
                return null;
            }
        }

        /**
         * The tensors that are parameters: every attribute path to the tensor names a parameter.
         */
        Set<TorchScriptPickle.Site> parameterSites(Set<String> parameters) {
            Set<TorchScriptPickle.Site> out = new HashSet<>();
            for (TorchScriptPickle.Site site : pickle.sites()) {
                List<String> paths = site.paths();
                if (!paths.isEmpty() && parameters.containsAll(paths)) {
                    out.add(site);
                }
            }
            return out;
        }

        /**
         * The attribute paths of every tensor whose storage holds only module attributes: what a
         * probe skeleton may cut to learn which of them are parameters.
         */
        Set<String> attributePaths() {
            Set<String> out = new LinkedHashSet<>();
            for (List<TorchScriptPickle.Site> sites : pickle.byStorage().values()) {
                if (sites.stream().noneMatch(s -> s.paths().isEmpty())) {
                    sites.forEach(s -> out.addAll(s.paths()));
                }
            }
            return out;
        }
    }

    /**
     * Writes the entries in the given order with a fixed time, so the same model always gives the
     * same bytes: the skeleton is part of the store's content hash, and a time stamp in it would
     * give one model a new store every two seconds.
     */
    static byte[] writeZip(Map<String, byte[]> entries) throws IOException {
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
